import Foundation
import SandboxCore
import Testing

@testable import SandboxGrader

#if canImport(Glibc)
    import Glibc
#endif

/// A shell script that runs Tests/BrokenImplementations/lab11_unpack.py with
/// one deliberate mistake switched on (LAB11_MISTAKE), or none.
func pythonImplementation(mistake: String?, in directory: String) throws -> String {
    let path = directory + "/lab11-" + (mistake ?? "correct")
    let script = Built.repository + "/Tests/BrokenImplementations/lab11_unpack.py"
    let text =
        "#!/bin/sh\n" + (mistake.map { "LAB11_MISTAKE=\($0) " } ?? "") + "exec /usr/bin/python3 \(script) \"$@\"\n"
    try ProcFile.write(path, text, create: true)
    chmod(path, 0o755)
    return path
}

/// Which checks each deliberate mistake in lab11_unpack.py must fail.
let unpackMistakes: [(String, Set<String>)] = [
    ("no-whiteouts", ["11.tree", "11.whiteouts", "11.dotdot"]),  // .wh.. written as a file, not refused
    ("no-opaque", ["11.tree", "11.opaque"]),
    ("opaque-order", ["11.tree", "11.opaque"]),
    ("follow-symlinks", ["11.symlinks"]),
    ("absolute-names", ["11.symlinks"]),
    ("dotdot", ["11.dotdot"]),
    ("hardlink-outside", ["11.hardlinks"]),
    ("no-digests", ["11.digests"]),
    ("mode-before-owner", ["11.tree"]),
    ("no-metadata", ["11.tree"]),
]

@Suite("sb-grade 11 against real implementations", .serialized)
struct ImageGraderTests {
    static let noRootfs = "/nonexistent/lab11-needs-no-rootfs"

    @Test(
        "the reference scores 100 and leaves /var/tmp, /etc and the mount table as they were", .withHostileImages,
        .withImages)
    func referencePasses() throws {
        let before = try hostMountTable()
        let report = grade(Lab11.lab, Built.path("sb-image"), rootfs: Self.noRootfs)
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
        #expect(Lab11.lab.checks.map(\.points).reduce(0, +) == 100)
        #expect(try hostMountTable() == before)
        let left = try FileManager.default.contentsOfDirectory(atPath: "/var/tmp").filter {
            $0.hasPrefix("sb-grade-image-")
        }
        #expect(left.isEmpty, "scratch directories left: \(left)")
    }

    @Test("the generated starter fails", .withHostileImages, .withImages)
    func starterFails() {
        let report = grade(Lab11.lab, Built.path(Lab11.lab.starterProduct), rootfs: Self.noRootfs)
        #expect(failed(report).contains("11.runs"), "\(ReportFormat.text.render(report))")
        #expect(report.earned < 50)
    }

    @Test(
        "a correct Python implementation scores 100: the contract is language-neutral", .withHostileImages, .withImages)
    func pythonImplementationPasses() throws {
        let report = try withScratchDirectory { dir in
            grade(Lab11.lab, try pythonImplementation(mistake: nil, in: dir), rootfs: Self.noRootfs)
        }
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
    }

    @Test(
        "each deliberate mistake fails exactly its checks, with their hints; nothing escapes", .withHostileImages,
        .withImages)
    func mistakesAreCaught() throws {
        let before = try hostMountTable()
        var seenFailing: Set<String> = []
        try withScratchDirectory { dir in
            for (mistake, expected) in unpackMistakes {
                let report = grade(
                    Lab11.lab, try pythonImplementation(mistake: mistake, in: dir), rootfs: Self.noRootfs)
                #expect(failed(report) == expected, "lab11_unpack.py \(mistake): \(ReportFormat.text.render(report))")
                for id in expected {
                    let check = try #require(Lab11.lab.checks.first { $0.id == id })
                    #expect(report.result(id)?.hint == check.hint)
                }
                seenFailing.formUnion(failed(report))
            }
        }
        let every = Set(Lab11.lab.checks.map(\.id)).subtracting(["11.runs"])
        #expect(seenFailing.isSuperset(of: every), "never seen failing: \(every.subtracting(seenFailing).sorted())")
        #expect(try hostMountTable() == before)
        #expect(!Sys.exists("/etc/sandboxlabs-hostile") && !Sys.exists("/tmp/sandboxlabs-hostile-planted"))
    }
}
