// Starter for lab02, generated from Sources/sb-enter/Join.swift by scripts/make-starters. Fill in the TODOs.
// How sb-enter gets into another process's namespaces: setns(2), by pidfd
// when the kernel has it, else one /proc/PID/ns file at a time.
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// The order the ns-file way joins in: the user namespace first, because
/// joining it gives us the capabilities (CAP_SYS_ADMIN in it) that the other
/// joins check against the namespaces it owns.
func joinOrder(_ kinds: Set<Namespace>) -> [Namespace] {
    kinds.sorted { ($0 == .user ? 0 : 1, $0) < ($1 == .user ? 0 : 1, $1) }
}

/// Joins `kinds` of `target`'s namespaces; returns "pidfd" or "ns files".
func join(_ kinds: Set<Namespace>, of target: pid_t, narrator: Narrator) throws -> String {
    var method = "not joined"
    // TODO(lab02): Join the target's namespaces with setns(2). Best: pidfd_open(2) the target and
    //   pass the pidfd with all the CLONE_NEW* flags to one setns (Linux 5.8+: all or nothing).
    //   Else (EINVAL/ENOSYS) open every /proc/PID/ns/KIND first, then setns each, the user
    //   namespace first (joinOrder).
    return method
}

/// Our /proc/PID/ns directory, opened before joining: after joining a mount
/// namespace, /proc may be another pid namespace's and not show us at all,
/// but this descriptor still reads our own links.
final class OwnNamespaceDirectory {
    let fd: Int32

    init() throws {
        fd = try check("open", path: "/proc/self/ns") { open("/proc/self/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }

    deinit { close(fd) }

    /// Where we are for each kind. For pid and time, setns changes only where
    /// our future children go, so the link to read is KIND_for_children.
    func namespaces(_ kinds: [Namespace]) -> [Namespace: NamespaceID] {
        var ids: [Namespace: NamespaceID] = [:]
        for kind in kinds {
            let name = kind == .pid || kind == .time ? "\(kind.rawValue)_for_children" : kind.rawValue
            var buffer = [CChar](repeating: 0, count: 256)
            let count = readlinkat(fd, name, &buffer, buffer.count - 1)
            guard count > 0 else { continue }
            let link = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let id = NamespaceID(link: link) { ids[kind] = id }
        }
        return ids
    }
}
