import SandboxCore
import Testing

@testable import SandboxGrader

/// A lab made of fake checks, to test scoring without running anything.
func fakeLab(_ checks: [Check]) -> Lab {
    Lab(
        number: "99", slug: "99-fake", title: "fake", reference: "none", contract: "", checks: checks,
        starterSources: [])
}

func fakeCheck(_ id: String, points: Int, needs: [String] = [], verdict: Verdict? = nil, throwing: Bool = false)
    -> Check
{
    Check(id: id, title: "title of \(id)", points: points, dependsOn: needs, hint: "hint for \(id)") { _ in
        if throwing { throw SyscallError(call: "open", path: "/x", errno: .init(rawValue: 2)) }
        return verdict ?? .pass("fine")
    }
}

let context = GradeContext(implementation: "/bin/false", rootfs: "/nonexistent")

@Suite("Grader scoring")
struct GraderTests {
    @Test("points add up; failures carry the check's hint")
    func scoring() {
        let report = Grader.grade(
            fakeLab([
                fakeCheck("a", points: 10), fakeCheck("b", points: 30, verdict: .fail("saw x")),
                fakeCheck("c", points: 60),
            ]),
            context: context)
        #expect(report.earned == 70)
        #expect(report.total == 100)
        #expect(!report.allPassed)
        #expect(report.result("b")?.status == .failed)
        #expect(report.result("b")?.hint == "hint for b")
        #expect(report.result("b")?.detail == "saw x")
        #expect(report.result("a")?.hint == "")
    }

    @Test("a check whose dependency failed is skipped, and so are its dependents")
    func dependencies() {
        let report = Grader.grade(
            fakeLab([
                fakeCheck("a", points: 10, verdict: .fail("no")),
                fakeCheck("b", points: 20, needs: ["a"]),
                fakeCheck("c", points: 30, needs: ["b"]),
                fakeCheck("d", points: 40),
            ]), context: context)
        #expect(report.results.map(\.status) == [.failed, .skipped, .skipped, .passed])
        #expect(report.result("b")?.detail == "needs a to pass first")
        #expect(report.result("c")?.detail == "needs b to pass first")
        #expect(report.earned == 40)
    }

    @Test("a check that throws fails with the error as what was seen")
    func throwingCheck() {
        let report = Grader.grade(fakeLab([fakeCheck("a", points: 5, throwing: true)]), context: context)
        #expect(report.result("a")?.status == .failed)
        #expect(report.result("a")?.detail.contains("open(/x): No such file or directory (ENOENT)") == true)
    }

    @Test("--only runs the chosen checks and what they depend on")
    func only() {
        let report = Grader.grade(
            fakeLab([
                fakeCheck("a", points: 1), fakeCheck("b", points: 2, needs: ["a"]), fakeCheck("c", points: 3),
                fakeCheck("d", points: 4, needs: ["b"]),
            ]),
            context: context, only: ["d"])
        #expect(report.results.map(\.id) == ["a", "b", "d"])
        #expect(report.allPassed)
    }

    @Test("every lab's checks have unique ids, known dependencies listed earlier, and 100 points")
    func labsAreWellFormed() {
        for lab in Labs.all {
            var seen: Set<String> = []
            for check in lab.checks {
                #expect(!seen.contains(check.id), "duplicate \(check.id)")
                #expect(
                    check.dependsOn.allSatisfy { seen.contains($0) }, "\(check.id) depends on a later or unknown check")
                #expect(check.id.hasPrefix(lab.number.prefix(2) + "."))
                #expect(!check.hint.isEmpty)
                seen.insert(check.id)
            }
            #expect(lab.checks.reduce(0) { $0 + $1.points } == 100, "lab \(lab.number)")
        }
    }

    @Test("labs are found by number, short number or slug")
    func findLab() {
        #expect(Labs.find("01")?.reference == "sb-chroot")
        #expect(Labs.find("3")?.reference == "sb-uts")
        #expect(Labs.find("03-uts-ipc")?.number == "03")
        #expect(Labs.find("42") == nil)
    }
}

@Suite("Report formats")
struct ReportFormatTests {
    let report = Grader.grade(
        fakeLab([
            fakeCheck("99.ok", points: 40), fakeCheck("99.bad", points: 60, verdict: .fail("saw <x> & \"y\"")),
        ]), context: context)

    @Test("text shows PASS/FAIL, the hint and the score")
    func text() {
        let text = ReportFormat.text.render(report)
        #expect(text.contains("PASS  99.ok "))
        #expect(text.contains("FAIL  99.bad"))
        #expect(text.contains("hint: hint for 99.bad"))
        #expect(text.contains("score: 40/100"))
    }

    @Test("json is one parseable object with every check")
    func json() throws {
        let parsed = try JSON.parse(ReportFormat.json.render(report))
        #expect(parsed["score"] == .int(40))
        #expect(parsed["total"] == .int(100))
        #expect(parsed["passed"] == .bool(false))
        guard case .array(let checks)? = parsed["checks"] else {
            Issue.record("no checks array")
            return
        }
        #expect(checks.count == 2)
        #expect(checks[1]["status"]?.stringValue == "failed")
        #expect(checks[1]["hint"]?.stringValue == "hint for 99.bad")
    }

    @Test("junit escapes XML and marks failures")
    func junit() {
        let xml = ReportFormat.junit.render(report)
        #expect(xml.contains(#"<testsuite name="lab99" tests="2" failures="1" skipped="0""#))
        #expect(xml.contains(#"<failure message="saw &lt;x&gt; &amp; &quot;y&quot;">hint: hint for 99.bad</failure>"#))
        #expect(!xml.contains("<x>"))
    }
}
