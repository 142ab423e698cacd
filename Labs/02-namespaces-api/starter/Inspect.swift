// Starter for lab02, generated from Sources/sb-ns/Inspect.swift by scripts/make-starters. Fill in the TODOs.
// The four questions sb-ns asks the kernel about one namespace file,
// each with one ioctl(2) on an open /proc/PID/ns/KIND (ioctl_ns(2)).
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// What the kernel says about one namespace of one process.
struct NamespaceView {
    var kind: Namespace
    var inode: UInt64
    /// The user namespace that owns it (NS_GET_USERNS); nil when that is outside our view.
    var owner: UInt64?
    /// The parent namespace, for the nested kinds pid and user (NS_GET_PARENT).
    var parent: UInt64?
    /// Who created it, for a user namespace (NS_GET_OWNER_UID).
    var ownerUID: uid_t?

    /// The JSON form: `{"type":"uts","inode":4026531838,"userns":4026531837,"parent":null,"owner_uid":null}`.
    var json: JSON {
        func number<T: BinaryInteger>(_ value: T?) -> JSON { value.map { .int(Int($0)) } ?? .null }
        return .object([
            ("type", .string(kind.rawValue)), ("inode", number(inode)), ("userns", number(owner)),
            ("parent", number(parent)), ("owner_uid", number(ownerUID)),
        ])
    }
}

/// Asks the kernel about /proc/PID/ns/KIND. Returns nil when this kernel has
/// no such file (time namespaces arrived in Linux 5.6).
func inspect(pid: pid_t, _ kind: Namespace, narrator: Narrator) throws -> NamespaceView? {
    let path = "/proc/\(pid)/ns/\(kind.rawValue)"
    guard Sys.exists(path) else { return nil }
    let file = try NamespaceFile(path: path)
    var view = NamespaceView(kind: kind, inode: 0)
    // TODO(lab02): Ask the kernel about the open namespace file with ioctl(2) (ioctl_ns(2)):
    //   NS_GET_NSTYPE for its type (check it is `kind`), fstat for its inode, NS_GET_USERNS for the
    //   owning user namespace, NS_GET_PARENT for the parent of a pid or user namespace,
    //   NS_GET_OWNER_UID for a user namespace's creator. EPERM means "outside your view": report
    //   null.
    return view
}

/// Runs an ioctl that answers EPERM when the namespace it would return lies
/// outside the caller's view (an ancestor of our own user or PID namespace,
/// or the top of the tree): that is an answer, not an error.
func outsideViewIsNil(_ call: String, _ narrator: Narrator, _ body: () throws -> UInt64) throws -> UInt64? {
    do {
        return try narrator.step(call, body)
    } catch let error as SyscallError where error.errno.rawValue == EPERM {
        return nil
    }
}

/// Every namespace of one process, in /proc/PID/ns order.
func inspectAll(pid: pid_t, narrator: Narrator) throws -> [NamespaceView] {
    guard Sys.exists("/proc/\(pid)") else {
        throw SyscallError(call: "open", path: "/proc/\(pid)/ns", errno: .init(rawValue: ESRCH))
    }
    return try Namespace.allCases.compactMap { try inspect(pid: pid, $0, narrator: narrator) }
}
