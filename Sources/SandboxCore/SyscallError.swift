import CSandbox
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A system call that failed: which call, on which path, and the errno it set.
///
/// Every wrapper in SandboxLabs throws this, so an error always reads like
/// `chroot(/srv/rootfs): Operation not permitted (EPERM)` followed, where we
/// know one, by the likely cause and its fix.
public struct SyscallError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The call as the narration shows it, e.g. `unshare(CLONE_NEWUTS)`.
    public var call: String
    /// The path the call was about, if any.
    public var path: String?
    /// The errno the kernel returned.
    public var errno: Errno

    public init(call: String, path: String? = nil, errno: Errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// `EINVAL`, `EPERM`, ... or `errno 123` for a number we have no name for.
    public var errnoName: String { Errno.name(of: errno.rawValue) }

    /// One line: the call, its path, the error's text and symbolic name.
    public var description: String {
        let subject = path.map { call.contains("(") ? "\(call) [\($0)]" : "\(call)(\($0))" } ?? call
        return "\(subject): \(Errno.text(of: errno.rawValue)) (\(errnoName))"
    }

    /// The likely cause and fix, when this call and errno have a usual one.
    public var hint: String? { SyscallHints.hint(call: call, errno: errno.rawValue) }
}

/// Runs a C call that returns -1 on failure and throws a `SyscallError`
/// with errno read immediately, before any other call can change it.
///
/// Retries on EINTR, the one errno that means "try again" rather than "failed".
@discardableResult
public func check<Result: BinaryInteger>(
    _ call: String, path: String? = nil, _ body: () -> Result
) throws(SyscallError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SyscallError(call: call, path: path, errno: Errno(rawValue: code))
    }
}

extension Errno {
    /// The symbolic name of an errno value (`ENOENT`), as man pages and strace print it.
    public static func name(of code: Int32) -> String {
        errnoNames[code] ?? "errno \(code)"
    }

    /// The C library's text for an errno value ("No such file or directory").
    public static func text(of code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// Symbolic errno names (outside the Errno extension, where EPERM would mean Errno.EPERM).
private let errnoNames: [Int32: String] = [
    EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO",
    ENXIO: "ENXIO", E2BIG: "E2BIG", ENOEXEC: "ENOEXEC", EBADF: "EBADF", ECHILD: "ECHILD",
    EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY",
    EEXIST: "EEXIST", EXDEV: "EXDEV", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR",
    EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE", ENOTTY: "ENOTTY", ETXTBSY: "ETXTBSY",
    EFBIG: "EFBIG", ENOSPC: "ENOSPC", ESPIPE: "ESPIPE", EROFS: "EROFS", EMLINK: "EMLINK",
    EPIPE: "EPIPE", ERANGE: "ERANGE", ENAMETOOLONG: "ENAMETOOLONG", ENOSYS: "ENOSYS",
    ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP", ENODATA: "ENODATA", EOVERFLOW: "EOVERFLOW",
    EOPNOTSUPP: "EOPNOTSUPP", ETIMEDOUT: "ETIMEDOUT", ECANCELED: "ECANCELED",
    EUSERS: "EUSERS", EDQUOT: "EDQUOT",  // ENOTSUP is EOPNOTSUPP on Linux
]
