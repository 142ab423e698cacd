import SandboxCore
import SandboxMounts
import SandboxNamespaces
import Testing

@testable import SandboxGrader

#if canImport(Glibc)
    import Glibc
#endif

/// The host's mount table as the test runner sees it: every sb-mount run must leave it exactly so.
func hostMountTable() throws -> String { try ProcFile.read("/proc/self/mountinfo") }

/// The first stdout line of a --json run, parsed.
func firstRecord(_ result: ChildProcess.Result) throws -> JSON {
    try JSON.parse(String(result.stdout.prefix { $0 != "\n" }))
}

/// Entries under /tmp whose name starts with `prefix`.
func tmpEntries(_ prefix: String) throws -> Set<String> { try directoryNames("/tmp").filter { $0.hasPrefix(prefix) } }

@Suite("sb-mount", .serialized)
struct MountTests {
    @Test("run: only the mount namespace is new, and ROOTFS is its root (seen from outside)", .withRootfs)
    func fromOutside() throws {
        let before = try hostMountTable()
        let path = Built.path("sb-mount")
        let rootfs = try #require(Built.rootfs)
        let child = try ChildProcess(
            SpawnRequest(path: path, arguments: [path, "run", "--quiet", rootfs, "--"] + Probe.waitingPayload))
        let (seen, result) = try Probe.inspect(child, timeout: 20, skipLines: 0) { pid, _ in
            (
                different: try Namespace.allCases.filter {
                    try NamespaceID.of(pid: "\(pid)", $0) != NamespaceID.of($0)
                },
                root: try Sys.readlink("/proc/\(pid)/root"),
                points: try MountInfo.read(pid: "\(pid)").map(\.mountPoint)
            )
        }
        #expect(result.status == .exited(0), "\(result.stderr)")
        #expect(seen.different == [.mnt])
        #expect(seen.root == "/")
        #expect(seen.points == ["/", "/proc", "/sys", "/dev", "/dev/pts"])
        #expect(try hostMountTable() == before)
    }

    @Test("run: inside, the mount table has no host mounts and /dev holds exactly the standard nodes", .withRootfs)
    func fromInside() throws {
        let before = try hostMountTable()
        let rootfs = try #require(Built.rootfs)
        let script = "cut -d' ' -f5 /proc/self/mountinfo; echo ---; ls /dev; echo ---; ls -l /dev/null /dev/tty"
        let result = try run("sb-mount", ["run", "--json", rootfs, "--", "/bin/sh", "-c", script])
        #expect(result.status == .exited(0), "\(result.stderr)")
        let record = try firstRecord(result)
        #expect(record["mnt"]?["outside"]?.stringValue == (try NamespaceID.of(.mnt)).description)
        #expect(record["mnt"]?["inside"]?.stringValue != record["mnt"]?["outside"]?.stringValue)
        let parts = result.stdout.split(separator: "\n").dropFirst().split(separator: "---").map { Array($0) }
        try #require(parts.count == 3)
        #expect(parts[0] == ["/", "/proc", "/sys", "/dev", "/dev/pts"])
        #expect(parts[1].map(String.init) == ContainerFilesystems.devEntries)
        #expect(parts[2].allSatisfy { $0.hasPrefix("crw-rw-rw-") })
        #expect(try hostMountTable() == before)
    }

    @Test("run --try-escape: lab 01's escape stays in the new root and leaves nothing behind", .withRootfs)
    func escapeBlocked() throws {
        try withScratchDirectory { directory in
            let rootfs = try copyOfRootfs(in: directory)
            let entries = try directoryNames(rootfs)
            let before = try hostMountTable()
            let result = try run(
                "sb-mount", ["run", "--json", "--try-escape", rootfs, "--", "/bin/cat", "/etc/sandboxlabs-rootfs"])
            #expect(result.status == .exited(0), "\(result.stderr)")
            let record = try firstRecord(result)
            #expect(record["escape"]?["tried"] == .bool(true))
            #expect(record["escape"]?["escaped"] == .bool(false))
            #expect(result.stdout.hasSuffix("sandboxlabs-rootfs\n"))
            #expect(try directoryNames(rootfs) == entries)
            #expect(try hostMountTable() == before)
        }
    }

    @Test("run --keep-shared: pivot_root fails with EINVAL, the leak stays in the throwaway namespace", .withRootfs)
    func keepSharedFails() throws {
        let before = try hostMountTable()
        let rootfs = try #require(Built.rootfs)
        let result = try run("sb-mount", ["run", "--keep-shared", rootfs, "--", "/bin/true"])
        #expect(result.status == .exited(125))
        #expect(result.stderr.contains("pivot_root(\".\", \".\"): Invalid argument (EINVAL)"))
        #expect(result.stderr.contains("MS_REC|MS_PRIVATE"))
        #expect(result.stdout.contains("the container's bind mount leaked"))
        #expect(try hostMountTable() == before)
    }

    @Test("run with a missing or empty ROOTFS fails with an error and changes no mount", .withRootfs)
    func failuresLeaveNothing() throws {
        let before = try hostMountTable()
        let missing = try run("sb-mount", ["run", "/nonexistent/sb-mount-rootfs", "--", "/bin/true"])
        #expect(missing.status == .exited(125))
        #expect(missing.stderr.contains("/nonexistent/sb-mount-rootfs"))
        try withScratchDirectory { empty in
            let result = try run("sb-mount", ["run", "--quiet", empty, "--", "/bin/true"])
            #expect(result.status == .exited(125))
            #expect(result.stderr.contains("mount(\"proc\", \"/proc\""))
            #expect(try directoryNames(empty).isEmpty)
        }
        #expect(try hostMountTable() == before)
    }

    @Test("propagation: shared both ways, private neither, slave only from its master", .privileged)
    func propagation() throws {
        let before = try hostMountTable()
        let scratchBefore = try tmpEntries("sb-mount-")
        let result = try run("sb-mount", ["propagation", "--json"])
        #expect(result.status == .exited(0), "\(result.stderr)")
        let seen = try firstRecord(result)["propagation"]
        #expect(seen?["shared"]?["b_to_a"] == .bool(true))
        #expect(seen?["shared"]?["a_to_b"] == .bool(true))
        #expect(seen?["private"]?["b_to_a"] == .bool(false))
        #expect(seen?["private"]?["a_to_b"] == .bool(false))
        #expect(seen?["slave"]?["b_to_a"] == .bool(false))
        #expect(seen?["slave"]?["a_to_b"] == .bool(true))
        #expect(try hostMountTable() == before)
        #expect(try tmpEntries("sb-mount-") == scratchBefore)
    }
}

/// Which checks each deliberate mistake in mount.c must fail.
let mountMistakes: [(String, Set<String>)] = [
    ("NO_EXEC", ["05.runs"]),
    ("NO_UNSHARE", ["05.new-namespace", "05.private-propagation", "05.failure-clean"]),
    ("NO_PRIVATE", ["05.private-propagation"]),
    ("CHROOT_INSTEAD", ["05.pivot-root", "05.escape-blocked"]),
    ("NO_DETACH", ["05.old-root-gone"]),
    // Without /proc the implementation cannot read /proc/self/ns/mnt for its record either.
    ("NO_PROC", ["05.proc", "05.json"]),
    ("SYS_RW", ["05.sys-read-only"]),
    ("NO_DEV", ["05.dev"]),
    ("SILENT_ON_ERROR", ["05.failure-clean"]),
    ("BAD_JSON", ["05.json"]),
]

@Suite("sb-grade 05 against real implementations", .serialized)
struct MountGraderTests {
    @Test("the reference scores 100 and leaves the host's mount table as it was", .withRootfs)
    func referencePasses() throws {
        let before = try hostMountTable()
        let report = try withScratchDirectory {
            grade(Lab05.lab, Built.path("sb-mount"), rootfs: try copyOfRootfs(in: $0))
        }
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
        #expect(Lab05.lab.checks.map(\.points).reduce(0, +) == 100)
        #expect(try hostMountTable() == before)
    }

    @Test("the generated starter fails", .withRootfs)
    func starterFails() throws {
        let report = try withScratchDirectory {
            grade(Lab05.lab, Built.path(Lab05.lab.starterProduct), rootfs: try copyOfRootfs(in: $0))
        }
        #expect(!report.allPassed)
        #expect(report.earned < 50)
    }

    @Test("a correct C implementation scores 100: the contract is language-neutral", .withRootfs, .withCompiler)
    func cImplementationPasses() throws {
        let report = try withScratchDirectory { dir in
            grade(
                Lab05.lab, try compileImplementation("mount", define: nil, in: dir), rootfs: try copyOfRootfs(in: dir))
        }
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
    }

    @Test(
        "each deliberate mistake fails exactly its checks, with their hints; the host is untouched",
        .withRootfs, .withCompiler)
    func mistakesAreCaught() throws {
        let before = try hostMountTable()
        let scratchBefore = try tmpEntries("sb-grade-empty-")
        var seenFailing: Set<String> = []
        try withScratchDirectory { dir in
            for (define, expected) in mountMistakes {
                let implementation = try compileImplementation("mount", define: define, in: dir)
                let report = try withScratchDirectory {
                    grade(Lab05.lab, implementation, rootfs: try copyOfRootfs(in: $0))
                }
                #expect(failed(report) == expected, "mount -D\(define): \(ReportFormat.text.render(report))")
                for id in expected {
                    let check = try #require(Lab05.lab.checks.first { $0.id == id })
                    #expect(report.result(id)?.hint == check.hint)
                }
                seenFailing.formUnion(failed(report))
            }
        }
        let every = Set(Lab05.lab.checks.map(\.id))
        #expect(seenFailing == every, "never seen failing: \(every.subtracting(seenFailing).sorted())")
        #expect(try hostMountTable() == before)
        #expect(try tmpEntries("sb-grade-empty-") == scratchBefore)
    }
}
