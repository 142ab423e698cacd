import SandboxCore
import SandboxNamespaces
import Testing

@testable import SandboxGrader

#if canImport(Glibc)
    import Glibc
#endif

/// The System V tables and POSIX queues of the test runner's IPC namespace (the host's).
func hostIPCTables() throws -> [String] {
    try SysVTable.allCases.map { try ProcFile.read("/proc/sysvipc/\($0.rawValue)") }
}

@Suite("sb-ipc: an IPC namespace of one's own (lab 03)", .serialized)
struct IPCTests {
    @Test("from outside: the command's IPC namespace differs from ours, and only that one", .privileged)
    func onlyIPCDiffers() throws {
        let path = Built.path("sb-ipc")
        var request = SpawnRequest(path: path, arguments: [path, "--quiet", "--"] + Probe.waitingPayload)
        request.newSession = true
        let child = try ChildProcess(request)
        let (different, result) = try Probe.inspect(child, timeout: 20, skipLines: 0) { pid, _ in
            try Namespace.allCases.filter { try NamespaceID.of(pid: "\(pid)", $0) != NamespaceID.of($0) }
        }
        #expect(different == [.ipc])
        #expect(result.status == .exited(0))
    }

    @Test("both ways invisible, narrated; nothing left on the host afterwards", .privileged)
    func visibilityAndCleanup() throws {
        let before = try hostIPCTables()
        let result = try run("sb-ipc", ["--", "/bin/cat", "/proc/sysvipc/msg"])
        #expect(result.status == .exited(0))
        let text = result.stdout
        #expect(text.contains("→ unshare(CLONE_NEWIPC)"))
        #expect(text.contains("inside:  /proc/sysvipc: msg 0, sem 0, shm 0"))
        #expect(text.contains("(with 0x5b1a"))  // the same key inside, made after unshare
        #expect(text.contains("outside: /proc/sysvipc: msg 1 (with 0x5b1a"))
        #expect(text.contains("finds it: false"))
        #expect(!text.contains("finds it: true"))
        // The command's view: the table header only, every demo object removed.
        let lines = text.split(separator: "\n")
        let commandOutput = lines.drop { !$0.hasPrefix("→ execve") }.dropFirst()
        #expect(commandOutput.first?.contains("key") == true)
        #expect(SysVTable.parseKeys(commandOutput.joined(separator: "\n")).isEmpty)
        #expect(try hostIPCTables() == before)
    }

    @Test("--json comes first and names both namespaces; the status passes through", .privileged)
    func json() throws {
        let result = try run("sb-ipc", ["--json", "--", "/bin/sh", "-c", "readlink /proc/self/ns/ipc; exit 3"])
        #expect(result.status == .exited(3))
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let record = try JSON.parse(lines.first ?? "")
        #expect(record["inside"]?["ipc"]?.stringValue == lines.last)
        #expect(record["outside"]?["ipc"]?.stringValue == (try NamespaceID.of(.ipc)).description)
    }

    @Test("a command that is not found exits 127 and leaves nothing behind", .privileged)
    func notFound() throws {
        let before = try hostIPCTables()
        let result = try run("sb-ipc", ["--quiet", "--", "/nonexistent/cmd"])
        #expect(result.status == .exited(127))
        #expect(try hostIPCTables() == before)
    }
}

let ipcMistakes: [(String?, Set<String>)] = [
    ("NO_EXEC", ["03.ipc.runs"]),
    ("NO_UNSHARE", ["03.ipc.new-namespace", "03.ipc.outside-invisible", "03.ipc.inside-invisible"]),
    ("ALWAYS_ZERO", ["03.ipc.exit-status"]),
    ("BAD_JSON", ["03.ipc.json"]),
]

@Suite("sb-grade 03-ipc against real implementations", .serialized)
struct IPCGraderTests {
    @Test("the reference scores 100 and leaves the host's IPC tables as they were", .privileged)
    func referencePasses() throws {
        let before = try hostIPCTables()
        let report = Grader.grade(
            Lab03IPC.lab, context: GradeContext(implementation: Built.path("sb-ipc"), rootfs: "/"))
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
        #expect(try hostIPCTables() == before)
    }

    @Test("the generated starter fails", .privileged)
    func starterFails() throws {
        let lab = Lab03IPC.lab
        let report = Grader.grade(
            lab, context: GradeContext(implementation: Built.path(lab.starterProduct), rootfs: "/"))
        #expect(!report.allPassed)
        #expect(report.earned < 50)
    }

    @Test(
        "a C implementation passes; each mistake fails exactly its checks, with their hints", .privileged, .withCompiler
    )
    func mistakesAreCaught() throws {
        var seenFailing: Set<String> = []
        try withScratchDirectory { dir in
            for (define, expected) in [(nil, [])] + ipcMistakes {
                let implementation = try compileImplementation("ipc", define: define, in: dir)
                let report = Grader.grade(
                    Lab03IPC.lab, context: GradeContext(implementation: implementation, rootfs: "/"))
                #expect(failed(report) == expected, "ipc -D\(define ?? ""): \(ReportFormat.text.render(report))")
                for id in expected {
                    let check = try #require(Lab03IPC.lab.checks.first { $0.id == id })
                    #expect(report.result(id)?.hint == check.hint)
                }
                if define == nil { #expect(report.earned == 100) }
                seenFailing.formUnion(failed(report))
            }
        }
        let every = Set(Lab03IPC.lab.checks.map(\.id))
        #expect(seenFailing == every, "never seen failing: \(every.subtracting(seenFailing).sorted())")
    }
}
