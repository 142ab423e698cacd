import SandboxCore
import SandboxMounts
import SandboxNamespaces
import Testing

@testable import SandboxGrader

#if canImport(Glibc)
    import Glibc
#endif

@Suite("overlay mount data")
struct OverlayDataTests {
    @Test("lowers are joined with ':' topmost first, then upperdir and workdir")
    func formats() throws {
        let layers = OverlayLayers(lower: ["/l/top", "/l/bottom"], upper: "/u", work: "/w")
        #expect(try layers.mountData() == "lowerdir=/l/top:/l/bottom,upperdir=/u,workdir=/w")
    }

    @Test("paths the kernel would split are refused", arguments: ["/a,b", "/a:b", "/a\nb", ""])
    func refusesUnsafe(path: String) {
        #expect(throws: OverlayError.self) {
            try OverlayLayers(lower: [path], upper: "/u", work: "/w").mountData()
        }
        #expect(throws: OverlayError.self) { try OverlayLayers(lower: ["/l"], upper: path, work: "/w").mountData() }
    }

    @Test("an overlay needs a lower layer")
    func needsLower() {
        #expect(throws: OverlayError.noLowerLayer) { try OverlayLayers(lower: [], upper: "/u", work: "/w").mountData() }
    }
}

@Suite("sb-overlay", .serialized)
struct OverlayTests {
    @Test("demo --json: copy-up, whiteout, opaque directory, shared lowers; nothing left behind", .privileged)
    func demo() throws {
        let before = try hostMountTable()
        let scratchBefore = try tmpEntries("sb-overlay-")
        let result = try run("sb-overlay", ["demo", "--json"])
        #expect(result.status == .exited(0), "\(result.stderr)")
        let record = try firstRecord(result)
        #expect(record["copyUp"]?["upper"]?.stringValue == "changed in container A\n")
        #expect(record["copyUp"]?["lowerUnchanged"] == .bool(true))
        #expect(record["whiteout"]?["found"] == .bool(true))
        #expect(record["opaque"]?["xattr"]?.stringValue == "y")
        #expect(record["shared"]?["bSeesOriginal"] == .bool(true))
        #expect(record["shared"]?["aSeesB"] == .bool(false))
        let data = try #require(record["containerA"]?["data"]?.stringValue)
        #expect(data.hasPrefix("lowerdir=/tmp/sb-overlay-"))
        #expect(try hostMountTable() == before)
        #expect(try tmpEntries("sb-overlay-") == scratchBefore)
    }

    @Test("demo --workdir DIR works in DIR and leaves it empty; a missing DIR is an error", .privileged)
    func demoWorkdir() throws {
        try withScratchDirectory { dir in
            let result = try run("sb-overlay", ["demo", "--quiet", "--workdir", dir])
            #expect(result.status == .exited(0), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(try directoryNames(dir).isEmpty)
        }
        let missing = try run("sb-overlay", ["demo", "--workdir", "/nonexistent/sb-overlay"])
        #expect(missing.status == .exited(125))
        #expect(missing.stderr.contains("/nonexistent/sb-overlay"))
    }

    @Test("mount: only the mount namespace is new, MERGED is an overlay, UPPER keeps the changes", .privileged)
    func mountFromOutside() throws {
        let before = try hostMountTable()
        try withScratchDirectory { dir in
            for sub in ["low", "low/etc", "up", "wk", "m"] { try Sys.mkdir(dir + "/" + sub) }
            try ProcFile.write(dir + "/low/etc/gone", "x\n", create: true)
            let path = Built.path("sb-overlay")
            let arguments = [path, "mount", "--quiet", dir + "/low", dir + "/up", dir + "/wk", dir + "/m", "--"]
            let script = "rm \(dir)/m/etc/gone; echo $$; read line || true"
            let child = try ChildProcess(SpawnRequest(path: path, arguments: arguments + ["/bin/sh", "-c", script]))
            let (seen, result) = try Probe.inspect(child, timeout: 20, skipLines: 0) { pid, _ in
                (
                    different: try Namespace.allCases.filter {
                        try NamespaceID.of(pid: "\(pid)", $0) != NamespaceID.of($0)
                    },
                    merged: try MountInfo.read(pid: "\(pid)").filter { $0.mountPoint == dir + "/m" }.count
                )
            }
            #expect(result.status == .exited(0), "\(result.stderr)")
            #expect(seen.different == [.mnt])
            #expect(seen.merged == 1)
            #expect(OverlayInspect.isWhiteout(dir + "/up/etc/gone"))
            #expect(Sys.exists(dir + "/low/etc/gone"))
            #expect(try directoryNames(dir + "/m").isEmpty)
        }
        #expect(try hostMountTable() == before)
    }

    @Test("mount: usage errors exit 64, an unknown command 127, a bad path 125", .privileged)
    func mountErrors() throws {
        #expect(try run("sb-overlay", ["mount", "/tmp"]).status == .exited(64))
        let unknown = try run("sb-overlay", ["mount", "/a", "/b", "/c", "/d", "--", "sb-no-such-command"])
        #expect(unknown.status == .exited(127))
        let comma = try run("sb-overlay", ["mount", "/a,b", "/tmp", "/tmp", "/tmp", "--", "/bin/true"])
        #expect(comma.status == .exited(125))
        #expect(comma.stderr.contains("contains ','"))
    }
}

/// Which checks each deliberate mistake in overlay.c must fail.
let overlayMistakes: [(String, Set<String>)] = [
    ("ALWAYS_ZERO", ["10.runs"]),
    ("NO_UNSHARE", ["10.new-namespace"]),
    ("NO_PRIVATE", ["10.host-clean"]),
    ("REVERSED", ["10.layer-order"]),
    ("READ_ONLY", ["10.copy-up", "10.whiteout", "10.opaque"]),
    ("USERXATTR", ["10.opaque"]),
    ("BAD_JSON", ["10.json"]),
]

@Suite("sb-grade 10 against real implementations", .serialized)
struct OverlayGraderTests {
    static let noRootfs = "/nonexistent/lab10-needs-no-rootfs"

    @Test("the reference scores 100 and leaves the host's mount table and /tmp as they were", .privileged)
    func referencePasses() throws {
        let before = try hostMountTable()
        let scratchBefore = try tmpEntries("sb-grade-overlay-")
        let report = grade(Lab10.lab, Built.path("sb-overlay"), rootfs: Self.noRootfs)
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
        #expect(Lab10.lab.checks.map(\.points).reduce(0, +) == 100)
        #expect(try hostMountTable() == before)
        #expect(try tmpEntries("sb-grade-overlay-") == scratchBefore)
    }

    @Test("the generated starter fails", .privileged)
    func starterFails() {
        let report = grade(Lab10.lab, Built.path(Lab10.lab.starterProduct), rootfs: Self.noRootfs)
        #expect(!report.allPassed)
        #expect(report.earned < 50)
    }

    @Test("a correct C implementation scores 100: the contract is language-neutral", .privileged, .withCompiler)
    func cImplementationPasses() throws {
        let report = try withScratchDirectory { dir in
            grade(Lab10.lab, try compileImplementation("overlay", define: nil, in: dir), rootfs: Self.noRootfs)
        }
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
    }

    @Test(
        "each deliberate mistake fails exactly its checks, with their hints; the host is untouched",
        .privileged, .withCompiler)
    func mistakesAreCaught() throws {
        let before = try hostMountTable()
        var seenFailing: Set<String> = []
        try withScratchDirectory { dir in
            for (define, expected) in overlayMistakes {
                let report = grade(
                    Lab10.lab, try compileImplementation("overlay", define: define, in: dir), rootfs: Self.noRootfs)
                #expect(failed(report) == expected, "overlay -D\(define): \(ReportFormat.text.render(report))")
                for id in expected {
                    let check = try #require(Lab10.lab.checks.first { $0.id == id })
                    #expect(report.result(id)?.hint == check.hint)
                }
                seenFailing.formUnion(failed(report))
            }
        }
        let every = Set(Lab10.lab.checks.map(\.id))
        #expect(seenFailing == every, "never seen failing: \(every.subtracting(seenFailing).sorted())")
        #expect(try hostMountTable() == before)
    }
}
