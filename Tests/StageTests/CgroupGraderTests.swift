import SandboxCore
import Testing

@testable import SandboxCgroups
@testable import SandboxGrader

/// What each deliberate mistake in Tests/BrokenImplementations/cgroup.c must fail (and nothing else).
let cgroupMistakes: [(String, Set<String>)] = [
    ("NO_JOIN", ["08.in-group"]),
    ("JOIN_LATE", ["08.in-group"]),
    ("NO_LIMITS", ["08.limits", "08.pids-enforced"]),
    ("NO_CLEANUP", ["08.cleanup"]),
    ("LEAK_ON_KILL", ["08.killed-cleanup"]),
    ("BAD_JSON", ["08.json"]),
    ("NO_STATUS", ["08.runs"]),
]

/// Lab 08's grader on the running kernel (v1/hybrid here, v2 in the VM).
extension CgroupsOnTheKernel {
    @Suite("sb-grade 08: cgroups, on this host's cgroup mode", .serialized)
    struct CgroupGraderTests {
        func grade08(_ implementation: String) -> Report {
            Grader.grade(Lab08.lab, context: GradeContext(implementation: implementation, rootfs: "", timeout: 30))
        }

        func failed(_ report: Report) -> Set<String> {
            Set(report.results.filter { $0.status == .failed }.map(\.id))
        }

        @Test("the checks add up to 100 and each depends only on earlier ones")
        func shape() {
            #expect(Lab08.lab.checks.reduce(0) { $0 + $1.points } == 100)
            var seen: Set<String> = []
            for check in Lab08.lab.checks {
                #expect(check.dependsOn.allSatisfy(seen.contains), "\(check.id)")
                seen.insert(check.id)
            }
        }

        @Test("the reference sb-cgroup scores 100", .cgroupController("pids"))
        func referencePasses() {
            let report = grade08(Built.path("sb-cgroup"))
            #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
            #expect(Cgroups.existingGroups().isEmpty)
        }

        @Test("the generated starter fails", .cgroupController("pids"))
        func starterFails() {
            let report = grade08(Built.path(Lab08.lab.starterProduct))
            #expect(report.earned < 50, "\(ReportFormat.text.render(report))")
            #expect(failed(report).contains("08.in-group"))
            #expect(Cgroups.existingGroups().isEmpty)
        }

        @Test(
            "a C implementation passes, and each mistake fails exactly its checks", .cgroupController("pids"),
            .withCompiler
        )
        func cImplementation() throws {
            var seenFailing: Set<String> = []
            try withScratchDirectory { dir in
                let good = grade08(try compileImplementation("cgroup", define: nil, in: dir))
                #expect(good.earned == 100, "\(ReportFormat.text.render(good))")
                for (define, expected) in cgroupMistakes {
                    let report = grade08(try compileImplementation("cgroup", define: define, in: dir))
                    #expect(failed(report) == expected, "-D\(define): \(ReportFormat.text.render(report))")
                    for id in expected {
                        let check = try #require(Lab08.lab.checks.first { $0.id == id })
                        #expect(report.result(id)?.hint == check.hint)
                    }
                    seenFailing.formUnion(failed(report))
                    #expect(Cgroups.existingGroups().isEmpty, "-D\(define) left \(Cgroups.existingGroups())")
                }
            }
            let every = Set(Lab08.lab.checks.map(\.id))
            #expect(seenFailing == every, "never seen failing: \(every.subtracting(seenFailing).sorted())")
        }
    }
}
