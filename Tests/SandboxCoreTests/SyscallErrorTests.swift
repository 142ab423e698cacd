import SandboxCore
import SystemPackage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("SyscallError")
struct SyscallErrorTests {
    @Test("names the call, the path, the error text and the errno")
    func messageWithPath() {
        let error = SyscallError(call: "chroot", path: "/srv/rootfs", errno: .init(rawValue: EPERM))
        #expect(error.description == "chroot(/srv/rootfs): Operation not permitted (EPERM)")
        #expect(error.errnoName == "EPERM")
    }

    @Test("a call that already shows its arguments keeps them, and the path follows")
    func messageWithArguments() {
        let error = SyscallError(call: "unshare(CLONE_NEWUTS)", errno: .init(rawValue: EINVAL))
        #expect(error.description == "unshare(CLONE_NEWUTS): Invalid argument (EINVAL)")
        let withPath = SyscallError(call: "open(O_RDONLY)", path: "/x", errno: .init(rawValue: ENOENT))
        #expect(withPath.description == "open(O_RDONLY) [/x]: No such file or directory (ENOENT)")
    }

    @Test("an errno without a name is shown as a number")
    func unknownErrno() {
        #expect(Errno.name(of: 4000) == "errno 4000")
    }

    @Test(
        "hints explain the usual cause",
        arguments: [
            ("chroot", EPERM, "CAP_SYS_CHROOT"),
            ("unshare(CLONE_NEWUTS)", EPERM, "CAP_SYS_ADMIN"),
            ("unshare(CLONE_NEWUSER)", EINVAL, "single-threaded"),
            ("pivot_root", EINVAL, "MS_PRIVATE"),
            ("execve", ENOENT, "scripts/make-rootfs"),
            ("sethostname(\"x\")", EINVAL, "64 bytes"),
        ])
    func hints(call: String, code: Int32, fragment: String) throws {
        let hint = try #require(SyscallError(call: call, errno: .init(rawValue: code)).hint)
        #expect(hint.contains(fragment))
    }

    @Test("no hint is invented for an unusual pair")
    func noHint() {
        #expect(SyscallError(call: "chroot", errno: .init(rawValue: ENOTDIR)).hint == nil)
    }

    @Test("check() captures errno at the failing call")
    func checkCapturesErrno() {
        #expect(throws: SyscallError(call: "open", path: "/nonexistent/x", errno: .init(rawValue: ENOENT))) {
            try check("open", path: "/nonexistent/x") { open("/nonexistent/x", O_RDONLY) }
        }
    }

    @Test("check() returns the result of a successful call")
    func checkReturns() throws {
        let fd = try check("open", path: "/dev/null") { open("/dev/null", O_RDONLY) }
        #expect(fd >= 0)
        close(fd)
    }
}

@Suite("SyscallError hints by flags")
struct HintFlagTests {
    @Test("EPERM with a user namespace points at the host's settings, without one at root")
    func userNamespaceEPERM() throws {
        let user = try #require(SyscallError(call: "unshare(CLONE_NEWUSER)", errno: .init(rawValue: 1)).hint)
        #expect(user.contains("sb-doctor 06"))
        let uts = try #require(SyscallError(call: "unshare(CLONE_NEWUTS)", errno: .init(rawValue: 1)).hint)
        #expect(uts.contains("CAP_SYS_ADMIN"))
        let both = try #require(
            SyscallError(call: "clone(CLONE_NEWUTS|CLONE_NEWUSER|SIGCHLD)", errno: .init(rawValue: 1)).hint)
        #expect(both.contains("sb-doctor 06"))
    }
}
