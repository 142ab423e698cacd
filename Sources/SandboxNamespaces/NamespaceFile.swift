import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// An open namespace file: /proc/PID/ns/KIND, or a bind mount of one.
///
/// Holding the file open keeps the namespace alive even after its last
/// process exits. The NS_GET_* ioctls (ioctl_ns(2), Linux 4.9+) ask the
/// kernel about the namespace behind the file: its type, the user namespace
/// that owns it, its parent.
public final class NamespaceFile {
    /// The open descriptor; closed when this value goes away.
    public let fd: Int32
    /// Where it was opened from, for messages.
    public let path: String

    /// Opens /proc/PID/ns/KIND ("self" for the caller).
    public convenience init(pid: String = "self", _ kind: Namespace) throws(SyscallError) {
        try self.init(path: "/proc/\(pid)/ns/\(kind.rawValue)")
    }

    /// Opens a namespace file by path.
    public init(path: String) throws(SyscallError) {
        self.path = path
        fd = try check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// Takes ownership of a descriptor an ioctl returned.
    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// The namespace's inode number: equal inodes (on the nsfs device) mean the same namespace.
    public func inode() throws(SyscallError) -> UInt64 {
        var buf = stat()
        try check("fstat", path: path) { fstat(fd, &buf) }
        return UInt64(buf.st_ino)
    }

    /// What kind of namespace this is. Corresponds to ioctl(NS_GET_NSTYPE).
    public func kind() throws(SyscallError) -> Namespace {
        let flag = try check("ioctl(NS_GET_NSTYPE)", path: path) { cs_ns_get_nstype(fd) }
        guard let kind = Namespace.allCases.first(where: { $0.cloneFlag == flag }) else {
            throw SyscallError(
                call: "ioctl(NS_GET_NSTYPE) returned \(flag)", path: path, errno: .init(rawValue: EINVAL))
        }
        return kind
    }

    /// The user namespace that owns this namespace. Corresponds to ioctl(NS_GET_USERNS).
    ///
    /// Fails with EPERM when that user namespace is outside the caller's view
    /// (an ancestor of the caller's own user namespace).
    public func owningUserNamespace() throws(SyscallError) -> NamespaceFile {
        let owner = try check("ioctl(NS_GET_USERNS)", path: path) { cs_ns_get_userns(fd) }
        return NamespaceFile(fd: owner, path: "owner of \(path)")
    }

    /// The parent of a PID or user namespace. Corresponds to ioctl(NS_GET_PARENT).
    ///
    /// EINVAL for other kinds (they are not nested); EPERM at the top of the caller's view.
    public func parent() throws(SyscallError) -> NamespaceFile {
        let parent = try check("ioctl(NS_GET_PARENT)", path: path) { cs_ns_get_parent(fd) }
        return NamespaceFile(fd: parent, path: "parent of \(path)")
    }

    /// The uid (in the caller's user namespace) of whoever created this user
    /// namespace. Corresponds to ioctl(NS_GET_OWNER_UID); EINVAL for other kinds.
    public func ownerUID() throws(SyscallError) -> uid_t {
        var uid: uid_t = 0
        try check("ioctl(NS_GET_OWNER_UID)", path: path) { cs_ns_get_owner_uid(fd, &uid) }
        return uid
    }

    /// The namespace as readlink shows it, e.g. `user:[4026531837]`.
    public func identity() throws -> NamespaceID {
        NamespaceID(kind: try kind(), inode: try inode())
    }
}
