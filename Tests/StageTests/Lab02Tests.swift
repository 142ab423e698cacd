import SandboxCore
import SandboxNamespaces
import Testing

@testable import SandboxGrader

#if canImport(Glibc)
    import Glibc
#endif

/// The kinds whose inode differs between two processes.
func differingKinds(_ pid: pid_t, from other: String = "self") throws -> Set<Namespace> {
    Set(
        try Namespace.allCases.filter { kind in
            try NamespaceID.of(pid: "\(pid)", kind) != NamespaceID.of(pid: other, kind)
        })
}

/// Runs with the other suites that make cgroups under sandboxlabs, one at a time.
extension CgroupsOnTheKernel {
    @Suite("lab 02: namespace comparison (pure)")
    struct NamespaceComparisonTests {
        @Test("equal inodes are shared, unequal ones different, missing kinds left out")
        func compare() {
            let first: [Namespace: UInt64] = [.uts: 1, .net: 2, .pid: 3, .time: 9]
            let second: [Namespace: UInt64] = [.uts: 1, .net: 5, .pid: 3]
            let comparison = NamespaceComparison([first, second])
            #expect(comparison.shared == [.uts, .pid])
            #expect(comparison.different == [.net])
        }

        @Test("one process shares everything with itself; none gives nothing")
        func degenerate() {
            #expect(NamespaceComparison([[.uts: 1, .ipc: 2]]).shared == [.uts, .ipc])
            #expect(NamespaceComparison([]) == NamespaceComparison([[:]]))
        }
    }

    @Suite("lab 02: sb-ns, sb-enter, sb-cgroupns, sb-timens", .serialized)
    struct Lab02ExecutableTests {
        @Test("sb-ns --json reports the inodes readlink shows and which kinds two pids share", .privileged)
        func nsReportsKernelView() throws {
            let target = try Lab02Target([.uts, .net])
            let result = try run("sb-ns", ["--json", "\(getpid())", "\(target.pid)"])
            #expect(result.status == .exited(0))
            let record = try JSON.parse(String(result.stdout.split(separator: "\n").first ?? ""))
            #expect(Lab02.field(record, 1, .uts, "inode") == Int(try target.namespace(.uts).inode))
            #expect(Lab02.field(record, 0, .uts, "inode") == Int(try NamespaceID.of(.uts).inode))
            guard case .array(let different)? = record["different"] else {
                Issue.record("no different list")
                return
            }
            #expect(Set(different.compactMap(\.stringValue)) == ["uts", "net"])
        }

        @Test("sb-ns narrates the NS_GET_* ioctls and prints a table", .privileged)
        func nsNarrates() throws {
            let result = try run("sb-ns", [])
            #expect(result.status == .exited(0))
            #expect(result.stdout.contains("NS_GET_NSTYPE"))
            #expect(result.stdout.contains("NS_GET_OWNER_UID"))
            #expect(result.stdout.contains("KIND"))
        }

        @Test("sb-enter: the command reports the target's inodes (inside) and /proc shows them (outside)", .privileged)
        func enterReallyEnters() throws {
            let target = try Lab02Target([.uts, .ipc, .net, .pid, .mnt])
            let result = try run(
                "sb-enter",
                [
                    "--quiet", "--target", "\(target.pid)", "--all", "--", "/bin/sh", "-c",
                    "readlink /proc/self/ns/uts; echo $$",
                ])
            #expect(result.status == .exited(0))
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == (try target.namespace(.uts)).description)
            #expect(lines.dropFirst().first == "2")  // the target's shell is 1; we are the next one born there
            let (ids, _, _, _) = try Lab02Enter.joined(
                GradeContext(implementation: Built.path("sb-enter"), rootfs: "/"),
                ["--quiet", "--target", "\(target.pid)", "--uts", "--net"], Namespace.allCases)
            #expect(ids[.uts] == (try target.namespace(.uts)))
            #expect(ids[.net] == (try target.namespace(.net)))
            #expect(ids[.ipc] == (try NamespaceID.of(.ipc)))
        }

        @Test("sb-cgroupns: only the cgroup namespace differs; inside the cgroup is /", .privileged)
        func cgroupNamespace() throws {
            let cgroup = try ScratchCgroup()
            let context = GradeContext(implementation: Built.path("sb-cgroupns"), rootfs: "/")
            let payload = ["/bin/sh", "-c", "grep ^0:: /proc/self/cgroup; echo $$; read line || true"]
            let child = try ChildProcess(Probe(context: context).request(["--quiet", "--"] + payload)) {
                try cgroup.add($0)
            }
            let (differing, result) = try Probe.inspect(child, timeout: 20, skipLines: 1) { pid, lines in
                #expect(lines == ["0::/"])
                #expect(try ProcFile.read("/proc/\(pid)/cgroup").contains("0::" + cgroup.path))
                return try differingKinds(pid)
            }
            #expect(differing == [.cgroup])
            #expect(result.status == .exited(0))
        }

        @Test("sb-timens: only the time namespace differs; inside, the offsets and uptime are shifted", .privileged)
        func timeNamespace() throws {
            let context = GradeContext(implementation: Built.path("sb-timens"), rootfs: "/")
            let (differing, _) = try Probe(context: context).whileRunning(["--quiet", "--boottime", "1000"]) { pid, _ in
                #expect(try ProcFile.read("/proc/\(pid)/timens_offsets").contains("1000"))
                return try differingKinds(pid)
            }
            #expect(differing == [.time])
            let result = try run("sb-timens", ["--quiet", "--boottime", "100000", "--", "/bin/cat", "/proc/uptime"])
            let inside = Double(result.stdout.split(separator: " ").first ?? "") ?? 0
            #expect(inside >= 100000)
        }

        @Test("usage errors exit 64; a missing command 127; a missing target 125", .privileged)
        func exitCodes() throws {
            #expect(try run("sb-enter", ["--target", "1"]).status == .exited(64))
            #expect(try run("sb-ns", ["0"]).status == .exited(64))
            #expect(try run("sb-cgroupns", ["--", "/no/such/command"]).status == .exited(127))
            #expect(try run("sb-enter", ["--target", "4194305", "--uts", "--", "/bin/true"]).status == .exited(125))
        }
    }
}

let lab02Parts = ["02", "02-enter", "02-cgroupns", "02-timens"]

/// Runs with the other suites that make cgroups under sandboxlabs, one at a time.
extension CgroupsOnTheKernel {
    @Suite("lab 02 grader", .serialized)
    struct Lab02GraderTests {
        @Test("the reference passes every check", .privileged, arguments: lab02Parts)
        func referencePasses(number: String) throws {
            let lab = try #require(Labs.find(number))
            let report = grade(lab, Built.path(lab.reference), rootfs: "/")
            #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
        }

        @Test("the generated starter fails", .privileged, arguments: lab02Parts)
        func starterFails(number: String) throws {
            let lab = try #require(Labs.find(number))
            let report = grade(lab, Built.path(lab.starterProduct), rootfs: "/")
            #expect(!report.allPassed)
            #expect(report.earned < 50)
        }

        @Test("every part's checks total 100 points and have unique ids")
        func points() throws {
            for number in lab02Parts {
                let lab = try #require(Labs.find(number))
                #expect(lab.checks.reduce(0) { $0 + $1.points } == 100)
                #expect(Set(lab.checks.map(\.id)).count == lab.checks.count)
            }
        }

        @Test("no cgroup is left under sandboxlabs/ by the cgroup checks", .privileged)
        func cgroupCleanup() throws {
            _ = grade(try #require(Labs.find("02-cgroupns")), Built.path("sb-cgroupns"), rootfs: "/")
            let ls = try ChildProcess.run(
                SpawnRequest(
                    path: "/bin/ls",
                    arguments: ["ls", "/sys/fs/cgroup/unified/sandboxlabs", "/sys/fs/cgroup/sandboxlabs"]))
            #expect(!ls.stdout.contains("lab02-grade-\(getpid())-"))
        }
    }
}

/// Which checks each deliberate mistake must fail (see the comments in the .c files).
let lab02Mistakes: [(Lab, String, [(String, Set<String>)])] = [
    (
        Lab02.lab, "ns",
        [
            ("NO_OUTPUT", ["02.ns.runs"]), ("LSTAT", ["02.ns.inodes"]), ("PROCESS_USERNS", ["02.ns.owner"]),
            ("NO_PARENT", ["02.ns.parent"]), ("COMPARE_DEV", ["02.ns.compare"]),
            ("SKIP_MISSING", ["02.ns.no-such-pid"]),
        ]
    ),
    (
        Lab02Enter.lab, "enter",
        [
            ("LOSE_STATUS", ["02.enter.runs"]), ("LAST_FLAG_ONLY", ["02.enter.joins"]),
            ("JOIN_EVERYTHING", ["02.enter.only-asked"]), ("NO_FORK", ["02.enter.pid"]),
            ("ALL_SKIPS_MNT", ["02.enter.all"]), ("LATE_BEFORE", ["02.enter.json"]),
            ("FALLBACK", ["02.enter.bad-target"]),
        ]
    ),
    (
        Lab02CgroupNS.lab, "cgroupns",
        [
            ("NO_EXEC", ["02.cgroupns.runs"]), ("NO_UNSHARE", ["02.cgroupns.new-namespace"]),
            ("ROOT_FIRST", ["02.cgroupns.root-view"]), ("BAD_JSON", ["02.cgroupns.json"]),
        ]
    ),
    (
        Lab02TimeNS.lab, "timens",
        [
            ("NO_WAIT", ["02.timens.runs"]), ("NO_UNSHARE", ["02.timens.new-namespace"]),
            ("NO_OFFSETS", ["02.timens.offsets", "02.timens.uptime"]),
            ("SWAP_CLOCKS", ["02.timens.offsets", "02.timens.uptime"]), ("BAD_JSON", ["02.timens.json"]),
        ]
    ),
]

/// Runs with the other suites that make cgroups under sandboxlabs, one at a time.
extension CgroupsOnTheKernel {
    @Suite("lab 02 grader against C implementations", .serialized)
    struct Lab02CImplementationTests {
        @Test("a correct C implementation scores 100", .privileged, .withCompiler, arguments: lab02Mistakes.map(\.1))
        func correctPasses(file: String) throws {
            let lab = try #require(lab02Mistakes.first { $0.1 == file }?.0)
            let report = try withScratchDirectory { dir in
                grade(lab, try compileImplementation(file, define: nil, in: dir), rootfs: "/")
            }
            #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
        }

        @Test(
            "each deliberate mistake fails exactly the checks it should, with their hints", .privileged, .withCompiler)
        func mistakesAreCaught() throws {
            var seenFailing: Set<String> = []
            try withScratchDirectory { dir in
                for (lab, file, mistakes) in lab02Mistakes {
                    for (define, expected) in mistakes {
                        let report = grade(lab, try compileImplementation(file, define: define, in: dir), rootfs: "/")
                        #expect(failed(report) == expected, "\(file) -D\(define): \(ReportFormat.text.render(report))")
                        for id in expected {
                            let check = try #require(lab.checks.first { $0.id == id })
                            #expect(report.result(id)?.hint == check.hint)
                        }
                        seenFailing.formUnion(failed(report))
                    }
                }
            }
            let every = Set(lab02Mistakes.flatMap { $0.0.checks.map(\.id) })
            #expect(seenFailing == every, "never seen failing: \(every.subtracting(seenFailing).sorted())")
        }
    }
}
