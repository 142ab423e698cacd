import SandboxCore
import SandboxNamespaces
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Spawning children (cs_spawn)")
struct SpawnTests {
    @Test("a missing program is reported as execve ENOENT with its path, and no process is left")
    func execFailure() throws {
        var pid: pid_t = 0
        let request = SpawnRequest(path: "/nonexistent/sandboxlabs-program", arguments: ["x"])
        do {
            _ = try Spawn.start(request) { pid = $0 }
            Issue.record("spawning a missing program succeeded")
        } catch let error as SyscallError {
            #expect(error.call == "execve")
            #expect(error.errnoName == "ENOENT")
            #expect(error.description == "execve(/nonexistent/sandboxlabs-program): No such file or directory (ENOENT)")
        }
        #expect(pid > 0)
        // Reaped: it is no longer our child, and no process has its pid.
        #expect(waitpid(pid, nil, WNOHANG) == -1 && errno == ECHILD)
        #expect(kill(pid, 0) == -1 && errno == ESRCH)
    }

    @Test("a failure in beforeGo kills and reaps the waiting child")
    func beforeGoFailure() throws {
        var pid: pid_t = 0
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            _ = try Spawn.start(SpawnRequest(path: "/bin/true", arguments: ["true"])) { child in
                pid = child
                throw Refused()
            }
        }
        #expect(pid > 0)
        #expect(kill(pid, 0) == -1 && errno == ESRCH)
    }

    @Test("the child runs only after go: its exec has not happened before")
    func waitsForGo() throws {
        let child = try Spawn.clone(SpawnRequest(path: "/bin/true", arguments: ["true"]))
        // Still our (not yet exec'd) copy: its command line is ours, not /bin/true's.
        let cmdline = try ProcFile.read("/proc/\(child.pid)/cmdline")
        let ours = try ProcFile.read("/proc/self/cmdline")
        #expect(cmdline == ours)
        try child.go()
        #expect(try Sys.waitpid(child.pid) == .exited(0))
    }

    @Test("output and exit status come back through ChildProcess")
    func capture() throws {
        let result = try ChildProcess.run(
            SpawnRequest(path: "/bin/sh", arguments: ["sh", "-c", "echo out; echo err >&2; exit 3"]))
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(result.status == .exited(3))
    }

    @Test("a child that outlives its timeout is killed")
    func timeout() throws {
        var request = SpawnRequest(path: "/bin/sh", arguments: ["sh", "-c", "sleep 30"])
        request.newSession = true
        let result = try ChildProcess(request).finish(timeout: 0.3)
        #expect(result.timedOut)
        #expect(result.status == .signaled(SIGKILL))
    }

    @Test("only the fds we hand over reach the child", .privileged)
    func fdsClosed() throws {
        let leak = open("/dev/null", O_RDONLY)  // not close-on-exec: would leak without close_range
        defer { close(leak) }
        let result = try ChildProcess.run(SpawnRequest(path: "/bin/sh", arguments: ["sh", "-c", "ls /proc/self/fd"]))
        let fds = result.stdout.split(separator: "\n").compactMap { Int($0) }
        #expect(!fds.contains(Int(leak)))
    }

    @Test("a child cloned with CLONE_NEWUTS is in another UTS namespace; we are not", .privileged)
    func newNamespace() throws {
        let ours = try NamespaceID.of(.uts)
        var request = SpawnRequest(
            path: "/bin/sh", arguments: ["sh", "-c", "readlink /proc/self/ns/uts; cat /proc/sys/kernel/hostname"])
        request.cloneFlags = Namespace.uts.cloneFlag
        request.hostname = "spawn-test"
        let result = try ChildProcess.run(request)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(NamespaceID(link: lines.first ?? "") != ours)
        #expect(lines.last == "spawn-test")
        #expect(try NamespaceID.of(.uts) == ours)
        #expect(Sys.hostname() != "spawn-test")
    }
}

@Suite("cs_spawn refuses what clone(2) cannot do")
struct SpawnRefusalTests {
    @Test("CLONE_NEWTIME is refused with EINVAL: in clone(2) its bit is the exit signal")
    func timeNamespace() {
        var request = SpawnRequest(path: "/bin/true", arguments: ["true"])
        request.cloneFlags = Namespace.time.cloneFlag
        #expect(throws: SyscallError.self) { _ = try Spawn.clone(request) }
        do {
            _ = try Spawn.clone(request)
        } catch {  // typed throws: always a SyscallError
            #expect(error.errnoName == "EINVAL")
            #expect(error.call.hasPrefix("clone(CLONE_NEWTIME"))
        }
    }
}
