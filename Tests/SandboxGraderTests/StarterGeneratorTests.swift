import Testing

@testable import SandboxGrader

@Suite("Starter generation")
struct StarterGeneratorTests {
    let source = """
        func run() {
            let a = 1
            // BEGIN SOLUTION lab03: Make a new UTS namespace with unshare(2).
            try unshare([.uts])
            // END SOLUTION
            // BEGIN SOLUTION lab05: Make / private.
            try makePrivate()
            // END SOLUTION
        }
        """

    @Test("the lab's regions become TODOs at the same indentation")
    func replacesRegion() throws {
        let starter = try StarterGenerator.generate(source, lab: "lab03", origin: "Sources/x/main.swift")
        let lines = starter.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("// Starter for lab03, generated from Sources/x/main.swift"))
        #expect(lines.contains("    // TODO(lab03): Make a new UTS namespace with unshare(2)."))
        #expect(!starter.contains("try unshare"))
        #expect(!starter.contains("SOLUTION"))
    }

    @Test("other labs' regions keep their code and lose their markers")
    func keepsOtherLabs() throws {
        let starter = try StarterGenerator.generate(source, lab: "lab03", origin: "x")
        #expect(starter.contains("    try makePrivate()"))
        #expect(!starter.contains("TODO(lab05)"))
    }

    @Test("a sub-region tag (lab01-escape) belongs to its lab")
    func subTags() throws {
        let text = "// BEGIN SOLUTION lab01-escape: Climb out.\nescape()\n// END SOLUTION"
        let starter = try StarterGenerator.generate(text, lab: "lab01", origin: "x")
        #expect(starter.hasSuffix("// TODO(lab01): Climb out."))
    }

    @Test("long hints wrap onto continuation lines")
    func wraps() throws {
        let hint = String(repeating: "word ", count: 40)
        let text = "  // BEGIN SOLUTION lab03: \(hint)\n  x()\n  // END SOLUTION"
        let lines = try StarterGenerator.generate(text, lab: "lab03", origin: "x").split(separator: "\n").dropFirst()
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.count <= 105 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("  //   ") })
    }

    @Test(
        "malformed markers are refused with the line number",
        arguments: [
            ("// END SOLUTION", 1, "END SOLUTION without BEGIN"),
            (
                "// BEGIN SOLUTION lab03: a\n// BEGIN SOLUTION lab03: b", 2,
                "BEGIN SOLUTION inside the region opened on line 1"
            ),
            ("x\n// BEGIN SOLUTION lab03: a\ny", 2, "region lab03 is never closed"),
            ("// BEGIN SOLUTION lab03\n// END SOLUTION", 1, "a region needs a hint"),
            ("// BEGIN SOLUTION oops: a\n// END SOLUTION", 1, "the tag must look like lab03"),
        ])
    func malformed(text: String, line: Int, problem: String) {
        do {
            _ = try StarterGenerator.generate(text, lab: "lab03", origin: "x")
            Issue.record("accepted a malformed source")
        } catch {
            #expect(error.line == line)
            #expect(error.problem.hasPrefix(problem))
        }
    }
}
