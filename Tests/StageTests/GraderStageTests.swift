import SandboxCore
import Testing

@testable import SandboxGrader

/// Grades an executable on a lab, the way `sb-grade` does, against a private rootfs copy.
func grade(_ lab: Lab, _ implementation: String, rootfs: String) -> Report {
    Grader.grade(lab, context: GradeContext(implementation: implementation, rootfs: rootfs, timeout: 20))
}

/// The ids of a report's failed checks.
func failed(_ report: Report) -> Set<String> { Set(report.results.filter { $0.status == .failed }.map(\.id)) }

/// Which checks each deliberate mistake must fail (see the comments in the .c files).
let chrootMistakes: [(String?, Set<String>)] = [
    ("NO_EXEC", ["01.runs"]),
    ("NO_CHROOT", ["01.root-is-rootfs", "01.root-from-outside", "01.missing-rootfs"]),
    ("NO_CHDIR", ["01.cwd-inside"]),
    ("SILENT_ON_ERROR", ["01.missing-rootfs"]),
    ("ALWAYS_ZERO", ["01.exit-status"]),
    ("NO_ESCAPE", ["01.escape"]),
    ("NO_CHROOT_ON_ESCAPE", ["01.escape"]),
    ("ESCAPE_LEAVES_DIR", ["01.escape-cleanup"]),
]
let utsMistakes: [(String?, Set<String>)] = [
    ("NO_SETHOSTNAME", ["03.uts.runs"]),
    ("NO_UNSHARE", ["03.uts.new-namespace", "03.uts.starting-hostname-unchanged"]),
    ("SET_BEFORE_UNSHARE", ["03.uts.starting-hostname-unchanged"]),
    ("NO_CLONE_FLAG", ["03.uts.clone"]),
    ("BAD_JSON", ["03.uts.json"]),
    ("TRUNCATE_LONG", ["03.uts.long-hostname"]),
]

@Suite("sb-grade against real implementations", .serialized)
struct GraderStageTests {
    @Test("the reference passes every check", .withRootfs, arguments: ["01", "03"])
    func referencePasses(number: String) throws {
        let lab = try #require(Labs.find(number))
        let report = try withScratchDirectory {
            grade(lab, Built.path(lab.reference), rootfs: try copyOfRootfs(in: $0))
        }
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
    }

    @Test("the generated starter fails", .withRootfs, arguments: ["01", "03"])
    func starterFails(number: String) throws {
        let lab = try #require(Labs.find(number))
        let report = try withScratchDirectory {
            grade(lab, Built.path(lab.starterProduct), rootfs: try copyOfRootfs(in: $0))
        }
        #expect(!report.allPassed)
        #expect(report.earned < 50)
    }

    @Test(
        "a correct implementation in C passes too: the contract is language-neutral", .withRootfs, .withCompiler,
        arguments: [("01", "chroot"), ("03", "uts")])
    func cImplementationPasses(number: String, file: String) throws {
        let lab = try #require(Labs.find(number))
        let report = try withScratchDirectory { dir in
            grade(lab, try compileImplementation(file, define: nil, in: dir), rootfs: try copyOfRootfs(in: dir))
        }
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
    }

    @Test("each deliberate mistake fails exactly the checks it should, with their hints", .withRootfs, .withCompiler)
    func mistakesAreCaught() throws {
        let hostname = Sys.hostname()
        var seenFailing: Set<String> = []
        try withScratchDirectory { dir in
            let rootfs = try copyOfRootfs(in: dir)
            for (lab, file, mistakes) in [(Lab01.lab, "chroot", chrootMistakes), (Lab03.lab, "uts", utsMistakes)] {
                for (define, expected) in mistakes {
                    let report = grade(lab, try compileImplementation(file, define: define, in: dir), rootfs: rootfs)
                    #expect(
                        failed(report) == expected, "\(file) -D\(define ?? ""): \(ReportFormat.text.render(report))")
                    for id in expected {
                        let check = try #require(lab.checks.first { $0.id == id })
                        #expect(report.result(id)?.hint == check.hint)
                    }
                    seenFailing.formUnion(failed(report))
                }
            }
        }
        // Every check's failure text was produced at least once.
        let every = Set((Lab01.lab.checks + Lab03.lab.checks).map(\.id))
        #expect(seenFailing == every, "never seen failing: \(every.subtracting(seenFailing).sorted())")
        // The UTS mistakes renamed only the grader's throwaway namespaces.
        #expect(Sys.hostname() == hostname)
    }

    @Test("a missing or non-executable implementation fails the first check, the rest are skipped", .withRootfs)
    func notExecutable() throws {
        let report = grade(Lab03.lab, "/etc/hostname", rootfs: try #require(Built.rootfs))
        #expect(report.results.first?.status == .failed)
        #expect(report.results.dropFirst().allSatisfy { $0.status == .skipped || $0.status == .failed })
        #expect(report.earned == 0)
    }

    @Test("sb-grade exits 0 on the reference and 1 on the starter; --format junit writes XML", .withRootfs)
    func commandLine() throws {
        let reference = try withScratchDirectory { try run("sb-grade", ["01", "--rootfs", try copyOfRootfs(in: $0)]) }
        #expect(reference.status == .exited(0))
        let starter = try run("sb-grade", ["03", "--impl", Built.path("lab03-starter"), "--format", "junit"])
        #expect(starter.status == .exited(1))
        #expect(starter.stdout.hasPrefix("<?xml"))
        #expect(starter.stdout.contains("<failure"))
        let usage = try run("sb-grade", ["77"])
        #expect(usage.status != .exited(0))
        #expect(usage.stderr.contains("no lab 77"))
    }

    @Test("the committed starters are what the generator makes from the reference")
    func startersCurrent() throws {
        let files = try Starters.generate(root: Built.repository)
        #expect(!files.isEmpty)
        #expect(Starters.stale(files, root: Built.repository).isEmpty, "run scripts/make-starters")
    }
}
