import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The eight kinds of Linux namespace, as /proc/PID/ns names them.
public enum Namespace: String, CaseIterable, Sendable, Comparable {
    case mnt, uts, ipc, pid, net, user, cgroup, time

    /// The CLONE_NEW* flag for clone(2), unshare(2) and setns(2).
    public var cloneFlag: Int32 {
        switch self {
        case .mnt: CS_CLONE_NEWNS
        case .uts: CS_CLONE_NEWUTS
        case .ipc: CS_CLONE_NEWIPC
        case .pid: CS_CLONE_NEWPID
        case .net: CS_CLONE_NEWNET
        case .user: CS_CLONE_NEWUSER
        case .cgroup: CS_CLONE_NEWCGROUP
        case .time: CS_CLONE_NEWTIME
        }
    }

    /// The flag's name as the man pages write it (mount's is the odd one: CLONE_NEWNS).
    public var flagName: String {
        self == .mnt ? "CLONE_NEWNS" : "CLONE_NEW" + rawValue.uppercased()
    }

    /// What this kind isolates, in a few words.
    public var isolates: String {
        switch self {
        case .mnt: "mount points"
        case .uts: "hostname and NIS domain name"
        case .ipc: "System V IPC objects and POSIX message queues"
        case .pid: "process IDs"
        case .net: "network devices, addresses, routes, ports"
        case .user: "user and group IDs, capabilities"
        case .cgroup: "the view of the cgroup hierarchy"
        case .time: "CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets"
        }
    }

    public static func < (lhs: Namespace, rhs: Namespace) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }

    /// The flags of several kinds together.
    public static func flags(_ kinds: Set<Namespace>) -> Int32 {
        kinds.reduce(0) { $0 | $1.cloneFlag }
    }

    /// `CLONE_NEWUTS|CLONE_NEWIPC`, in a stable order.
    public static func flagNames(_ kinds: Set<Namespace>) -> String {
        kinds.sorted().map(\.flagName).joined(separator: "|")
    }
}

/// Which namespace a process is in: the link /proc/PID/ns/KIND points to.
public struct NamespaceID: Equatable, Sendable, CustomStringConvertible {
    public var kind: Namespace
    /// The inode number of the namespace in the nsfs filesystem.
    public var inode: UInt64

    public init(kind: Namespace, inode: UInt64) {
        self.kind = kind
        self.inode = inode
    }

    /// Reads /proc/PID/ns/KIND ("self" for the caller). Two processes are in the
    /// same namespace exactly when these links have the same target.
    public static func of(pid: String = "self", _ kind: Namespace) throws -> NamespaceID {
        let link = try Sys.readlink("/proc/\(pid)/ns/\(kind.rawValue)")
        guard let id = NamespaceID(link: link) else {
            throw CoreError.unexpectedFormat(path: "/proc/\(pid)/ns/\(kind.rawValue)", detail: link)
        }
        return id
    }

    /// Parses a link target such as `uts:[4026531838]`.
    public init?(link: String) {
        guard let open = link.firstIndex(of: "["), link.hasSuffix("]"),
            let kind = Namespace(rawValue: String(link[..<open]).replacingColon()),
            let inode = UInt64(link[link.index(after: open)..<link.index(before: link.endIndex)])
        else { return nil }
        self.init(kind: kind, inode: inode)
    }

    /// The form `readlink` shows: `uts:[4026531838]`.
    public var description: String { "\(kind.rawValue):[\(inode)]" }
}

extension String {
    fileprivate func replacingColon() -> String { hasSuffix(":") ? String(dropLast()) : self }
}

/// Moves the calling process into new namespaces of the given kinds.
///
/// Corresponds to unshare(2). Must run single-threaded: the kernel applies
/// namespace changes to the calling thread only, and refuses a new user
/// namespace to a multi-threaded process. A new PID or time namespace applies
/// to the caller's next children, not to the caller itself.
public func unshare(_ kinds: Set<Namespace>) throws {
    try requireSingleThreaded("unshare")
    try check("unshare(\(Namespace.flagNames(kinds)))") { cs_unshare(Namespace.flags(kinds)) }
}
