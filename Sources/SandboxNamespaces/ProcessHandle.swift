import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// A pidfd: a file descriptor that names one process (Linux 5.3+).
///
/// Unlike a pid number, it cannot be recycled: if the process exits and its
/// pid is reused, the pidfd still refers to the dead one, so a setns(2) by
/// pidfd never joins a stranger's namespaces.
public final class ProcessHandle {
    public let fd: Int32
    public let pid: pid_t

    /// Opens a pidfd for `pid`. Corresponds to pidfd_open(2).
    public init(pid: pid_t) throws(SyscallError) {
        self.pid = pid
        fd = try check("pidfd_open(\(pid), 0)") { cs_pidfd_open(pid, 0) }
    }

    deinit { close(fd) }

    /// Joins the process's namespaces of `kinds`, all in one call. Corresponds
    /// to setns(2) with a pidfd (Linux 5.8+).
    ///
    /// The kernel moves us into all of them or none: no half-joined state if
    /// one fails, and the user namespace is handled first internally. EINVAL
    /// on an older kernel, which only takes a namespace file descriptor.
    public func enter(_ kinds: Set<Namespace>) throws {
        try requireSingleThreaded("setns")
        try check("setns(pidfd \(pid), \(Namespace.flagNames(kinds)))") { cs_setns(fd, Namespace.flags(kinds)) }
    }
}

/// Whether other processes may ptrace us or open our /proc/PID files as their own.
public enum Dumpable {
    /// Sets or clears the "dumpable" attribute. Corresponds to prctl(PR_SET_DUMPABLE).
    ///
    /// A non-dumpable process's /proc/PID files belong to root and ptrace(2)
    /// is refused to processes without CAP_SYS_PTRACE. A runtime joining a
    /// container clears it first, so nothing inside can open its
    /// /proc/PID/exe and overwrite the runtime's binary (CVE-2019-5736).
    /// execve(2) sets it again for an ordinary program.
    public static func set(_ dumpable: Bool) throws(SyscallError) {
        try check("prctl(PR_SET_DUMPABLE, \(dumpable ? 1 : 0))") { cs_prctl_set_dumpable(dumpable ? 1 : 0) }
    }

    /// The current value. Corresponds to prctl(PR_GET_DUMPABLE).
    public static var current: Bool { cs_prctl_get_dumpable() == 1 }
}
