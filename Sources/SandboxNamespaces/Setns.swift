import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Moves the calling thread into the namespace `file` refers to. Corresponds to setns(2).
///
/// Joining a mount or user namespace needs a single-threaded caller (EINVAL
/// otherwise); joining a PID namespace affects only children created afterwards.
public func setns(_ file: NamespaceFile, _ kind: Namespace) throws {
    try requireSingleThreaded("setns")
    try check("setns(\(file.path), \(kind.flagName))") { cs_setns(file.fd, kind.cloneFlag) }
}

/// Joins several namespaces of a running process at once.
///
/// With a pidfd (Linux 5.8+) one setns(2) call moves us into all of them
/// atomically, so the target cannot exit between two joins. Otherwise each
/// /proc/PID/ns file is opened first (while the target still exists) and
/// joined in turn, the user namespace first: once inside it we hold the
/// capabilities needed for the others.
///
/// Returns how it was done, for narration: "pidfd" or "ns files".
@discardableResult
public func enterNamespaces(of pid: pid_t, _ kinds: Set<Namespace>) throws -> String {
    try requireSingleThreaded("setns")
    // No pidfd (pidfd_open fails before Linux 5.3): go straight to the ns files.
    if let handle = try? ProcessHandle(pid: pid) {
        do {
            try handle.enter(kinds)
            return "pidfd"
        } catch let error as SyscallError where error.errno.rawValue == EINVAL {
            // A kernel before 5.8 has pidfds but cannot setns with them.
        }
    }
    let order = kinds.sorted { ($0 == .user ? 0 : 1, $0) < ($1 == .user ? 0 : 1, $1) }
    let files = try order.map { try NamespaceFile(pid: "\(pid)", $0) }
    for (kind, file) in zip(order, files) {
        // Joining our own namespace is allowed for all kinds but user (EINVAL); skip it.
        if kind == .user, try file.inode() == NamespaceFile(.user).inode() { continue }
        try setns(file, kind)
    }
    return "ns files"
}
