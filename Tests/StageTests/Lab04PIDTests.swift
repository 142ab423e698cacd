import SandboxCore
import SandboxNamespaces
import Testing

@testable import SandboxGrader

#if canImport(Glibc)
    import Glibc
#endif

/// Runs sb-pid and checks that the host's mount table is the same afterwards.
func runPID(_ arguments: [String]) throws -> ChildProcess.Result {
    let before = try ProcFile.read("/proc/self/mountinfo")
    let result = try run("sb-pid", arguments)
    #expect(try ProcFile.read("/proc/self/mountinfo") == before, "sb-pid \(arguments) changed the host's mounts")
    return result
}

@Suite("sb-pid and sb-init: a PID namespace and its init (lab 04)", .serialized)
struct PIDTests {
    @Test("inside: the command is PID 2 under sb-init, and its /proc is the namespace's", .privileged)
    func inside() throws {
        let script = "echo $$ $PPID; ls /proc | grep -c '^[0-9]'; exec readlink /proc/self"
        let result = try runPID(["--quiet", "--", "/bin/sh", "-c", script])
        #expect(result.status == .exited(0))
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "2 1")
        #expect((Int(lines.count > 1 ? lines[1] : "") ?? 99) <= 5)  // sb-init, sh, ls, grep
        #expect(lines.last == "2")
    }

    @Test("from outside: the command's PID and mount namespaces differ from ours, and only those", .privileged)
    func outside() throws {
        let path = Built.path("sb-pid")
        var request = SpawnRequest(path: path, arguments: [path, "--quiet", "--"] + Lab04.waiting)
        request.newSession = true
        let child = try ChildProcess(request)
        let line = child.readLine(timeout: 20) ?? ""
        let pid = try #require(
            ProcessTable.descendants(of: child.pid).first { ProcessTable.nspid($0).last == pid_t(line) })
        let different = try Namespace.allCases.filter { try NamespaceID.of(pid: "\(pid)", $0) != NamespaceID.of($0) }
        #expect(different == [.mnt, .pid])
        #expect(ProcessTable.nspid(pid) == [pid, 2])
        #expect(child.finish(timeout: 20).status == .exited(0))
    }

    @Test("sb-init reaps: a payload that leaves orphans ends with no zombie", .privileged)
    func reaps() throws {
        let result = try runPID(["--quiet", "--verbose", "--", "/bin/sh", "-c", Lab04.orphanScript])
        #expect(result.stdout.hasSuffix(": reaped\n"), "\(result.stdout)")
        #expect(result.stderr.contains("sb-init: reaped orphan"))
    }

    @Test("SIGTERM to the namespace's PID 1 reaches the payload", .privileged)
    func sigterm() throws {
        let path = Built.path("sb-pid")
        let script = "trap 'echo got-term; exit 0' TERM; echo $$; while :; do sleep 0.1; done"
        var request = SpawnRequest(path: path, arguments: [path, "--quiet", "--", "/bin/sh", "-c", script])
        request.newSession = true
        let child = try ChildProcess(request)
        #expect(child.readLine(timeout: 20) == "2")
        let pidOne = try #require(ProcessTable.descendants(of: child.pid).first { ProcessTable.nspid($0).last == 1 })
        #expect(kill(pidOne, SIGTERM) == 0)
        #expect(child.readLine(timeout: 20) == "got-term")
        #expect(child.finish(timeout: 20).status == .exited(0))
    }

    @Test("sb-init refuses to run unless it is PID 1", .privileged)
    func initRefuses() throws {
        let result = try run("sb-init", ["--mount-proc", "--", "/bin/echo", "ran"])
        #expect(result.status == .exited(125))
        #expect(result.stderr.contains("refusing to run as pid"))
        #expect(!result.stdout.contains("ran"))
        #expect(try run("sb-init", ["--bogus"]).status == .exited(64))
    }

    @Test("--nested 2: one process, three pids in NSpid", .privileged)
    func nested() throws {
        let result = try runPID(["--quiet", "--nested", "2", "--", "/bin/grep", "NSpid", "/proc/self/status"])
        #expect(result.status == .exited(0))
        let pids = result.stdout.split(whereSeparator: { $0 == "\t" || $0 == " " || $0 == "\n" }).dropFirst()
        #expect(pids.count == 3)
        #expect(pids.last == "2")
    }

    @Test("exit status passes through; --no-init makes the command PID 1; 127 for a missing command", .privileged)
    func statuses() throws {
        #expect(try runPID(["--quiet", "--", "/bin/sh", "-c", "exit 7"]).status == .exited(7))
        #expect(try runPID(["--quiet", "--", "/bin/sh", "-c", "kill -KILL $$"]).status == .exited(137))
        let noInit = try runPID(["--quiet", "--no-init", "--", "/bin/sh", "-c", "echo $$"])
        #expect(noInit.stdout == "1\n")
        #expect(try runPID(["--quiet", "--", "/nonexistent/cmd"]).status == .exited(127))
    }

    @Test("--json comes first: inside pid 1 and outside pid as the kernel reports them", .privileged)
    func json() throws {
        let result = try runPID(["--json", "--", "/bin/true"])
        let record = try JSON.parse(String(result.stdout.split(separator: "\n").first ?? ""))
        #expect(record["inside"]?["pid"]?.intValue == 1)
        #expect(record["outside"]?["pid_ns"]?.stringValue == (try NamespaceID.of(.pid)).description)
        #expect(record["inside"]?["pid_ns"]?.stringValue != record["outside"]?["pid_ns"]?.stringValue)
    }
}

let pidMistakes: [(String?, Set<String>)] = [
    ("NO_EXEC", ["04.runs"]),
    ("NO_NEWPID", ["04.new-pid-namespace"]),
    ("NO_NEWNS", ["04.mounts-unchanged"]),
    ("NO_MOUNT_PROC", ["04.own-proc"]),
    ("NO_REAP", ["04.reaps-zombies"]),
    ("NO_FORWARD", ["04.sigterm"]),
    ("ALWAYS_ZERO", ["04.exit-status"]),
    ("BAD_JSON", ["04.json"]),
]

@Suite("sb-grade 04 against real implementations", .serialized)
struct PIDGraderTests {
    @Test("the reference scores 100; the host's mounts are unchanged", .privileged)
    func referencePasses() throws {
        let before = try ProcFile.read("/proc/self/mountinfo")
        let report = Grader.grade(Lab04.lab, context: GradeContext(implementation: Built.path("sb-pid"), rootfs: "/"))
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
        #expect(try ProcFile.read("/proc/self/mountinfo") == before)
    }

    @Test("the generated starter fails", .privileged)
    func starterFails() throws {
        let report = Grader.grade(
            Lab04.lab, context: GradeContext(implementation: Built.path(Lab04.lab.starterProduct), rootfs: "/"))
        #expect(!report.allPassed)
        #expect(report.earned < 50)
    }

    @Test(
        "a C implementation passes; each mistake fails exactly its checks, with their hints", .privileged, .withCompiler
    )
    func mistakesAreCaught() throws {
        let before = try ProcFile.read("/proc/self/mountinfo")
        var seenFailing: Set<String> = []
        try withScratchDirectory { dir in
            for (define, expected) in [(nil, [])] + pidMistakes {
                let implementation = try compileImplementation("pid", define: define, in: dir)
                let report = Grader.grade(Lab04.lab, context: GradeContext(implementation: implementation, rootfs: "/"))
                #expect(failed(report) == expected, "pid -D\(define ?? ""): \(ReportFormat.text.render(report))")
                for id in expected {
                    let check = try #require(Lab04.lab.checks.first { $0.id == id })
                    #expect(report.result(id)?.hint == check.hint)
                }
                if define == nil { #expect(report.earned == 100) }
                seenFailing.formUnion(failed(report))
            }
        }
        let every = Set(Lab04.lab.checks.map(\.id))
        #expect(seenFailing == every, "never seen failing: \(every.subtracting(seenFailing).sorted())")
        #expect(try ProcFile.read("/proc/self/mountinfo") == before)
    }
}
