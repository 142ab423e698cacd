import SandboxCore
import Testing

@testable import SandboxCgroups

#if canImport(Glibc)
    import Glibc
#endif

/// Which cgroup mode the kernel runs, for skip reasons: this host is hybrid,
/// the VM (../shared/tools/cgroup2-vm, CGROUP2_VM=1) is pure v2.
enum CgroupHost {
    static let mode = CgroupMode.detect()
    static var controllers: [String] {
        switch mode {
        case .v2(let controllers), .v1(let controllers), .hybrid(let controllers): controllers
        case .none: []
        }
    }
    static func has(_ controller: String) -> Bool { controllers.contains(controller) }
    /// Whether sb-cgroup can deny a device here: v1 devices hierarchy, or v2 (BPF program).
    static var canDenyDevices: Bool { mode.name == "v2" || has("devices") }
}

/// The suites that make real cgroups run one at a time: the grader removes every
/// group under sandboxlabs after each check, which would pull another suite's away.
@Suite("cgroups on the running kernel", .serialized)
enum CgroupsOnTheKernel {}

extension Trait where Self == ConditionTrait {
    /// Needs root and the named cgroup controller, on v1, hybrid or v2.
    static func cgroupController(_ controller: String) -> Self {
        .enabled(
            if: Can.runPrivileged && CgroupHost.has(controller),
            "needs root and the \(controller) controller; this host: \(CgroupHost.mode.description)")
    }
}

/// The real thing, on this hybrid host (v1 controllers) and in the cgroup v2 VM.
/// Every test runs sb-cgroup as a child and looks at the kernel's files from outside.
extension CgroupsOnTheKernel {
    @Suite("sb-cgroup on the running kernel (v1/hybrid here, v2 in the VM)", .serialized)
    struct CgroupKernelTests {
        /// The handout's bounded fork loop (Labs/08-cgroups/forkloop.py): prints "forked N refused M".
        static let forkLoop = ["/usr/bin/python3", Built.repository + "/Labs/08-cgroups/forkloop.py"]

        /// The number after `key=` in sb-cgroup's stats line.
        func stat(_ key: String, in text: String) -> Int? {
            guard let range = text.range(of: " \(key)=") else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }

        func expectNoGroupsLeft() {
            #expect(Cgroups.existingGroups().isEmpty, "groups left under sandboxlabs: \(Cgroups.existingGroups())")
        }

        @Test("pids.max = 20 stops a bounded fork loop; the refusals are counted", .cgroupController("pids"))
        func pidsLimit() throws {
            let result = try run("sb-cgroup", ["run", "--pids", "20", "--"] + Self.forkLoop, timeout: 60)
            #expect(result.status == .exited(0), "\(result.stderr)")
            let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("forked ") } ?? ""
            let numbers = line.split(separator: " ").compactMap { Int($0) }
            #expect(numbers.count == 2 && numbers[0] < 20 && numbers[1] > 0, "saw: \(line)")
            #expect((stat("pids_limit_hits", in: result.stdout) ?? 0) > 0)
            expectNoGroupsLeft()
        }

        @Test(
            "a memory hog under 32M is OOM-killed inside its group, and the kill is counted",
            .cgroupController("memory"))
        func memoryOOM() throws {
            let result = try run(
                "sb-cgroup",
                ["run", "--memory", "32M", "--", "/bin/sh", "-c", "head -c 100M /dev/zero | tail; exit 0"],
                timeout: 60)
            #expect(result.status == .exited(0), "\(result.stderr)")
            #expect((stat("oom_kills", in: result.stdout) ?? 0) >= 1, "\(result.stdout)")
            let peak = stat("memory.peak", in: result.stdout)
            #expect(peak == nil || (peak ?? 0) <= 32 << 20)  // memory.peak is 5.19+ on v2
            expectNoGroupsLeft()
        }

        @Test("--cpus 0.5 throttles a 2 s busy loop (nr_throttled > 0 in cpu.stat)", .cgroupController("cpu"))
        func cpuThrottled() throws {
            let busy = ["/usr/bin/timeout", "2", "/bin/sh", "-c", "while :; do :; done"]
            let result = try run("sb-cgroup", ["run", "--cpus", "0.5", "--"] + busy, timeout: 60)
            #expect(result.status == .exited(124), "\(result.stderr)")  // timeout(1) ended the loop
            #expect(
                result.stdout.contains("cpu.max \"50000 100000\"") || result.stdout.contains("cfs_quota_us \"50000\""))
            #expect((stat("nr_throttled", in: result.stdout) ?? 0) > 0, "\(result.stdout)")
            expectNoGroupsLeft()
        }

        @Test("freeze stops a counter, thaw resumes it, kill ends the run and the group goes", .privileged)
        func freezeThaw() throws {
            try #require(CgroupHost.mode.name == "v2" || CgroupHost.has("freezer"), "no freezer: \(CgroupHost.mode)")
            try withScratchDirectory { dir in
                let counter = dir + "/count"
                let script =
                    "i=0; while :; do i=$((i+1)); echo $i > \(counter).new; mv \(counter).new \(counter); "
                    + "sleep 0.02; done"
                let path = Built.path("sb-cgroup")
                let request = SpawnRequest(
                    path: path, arguments: [path, "run", "--quiet", "--name", "counter", "--", "/bin/sh", "-c", script])
                let child = try ChildProcess(request)
                func value() -> Int { Int(ProcFile.readTrimmed(counter) ?? "") ?? 0 }
                #expect(waitUntil(seconds: 20) { value() > 3 })
                #expect(try run("sb-cgroup", ["freeze", "counter"]).status == .exited(0))
                let frozenAt = value()
                usleep(300_000)
                #expect(value() == frozenAt, "the counter moved while frozen")
                #expect(try run("sb-cgroup", ["thaw", "counter"]).status == .exited(0))
                #expect(waitUntil(seconds: 20) { value() > frozenAt })
                #expect(try run("sb-cgroup", ["kill", "counter"]).status == .exited(0))
                let result = child.finish(timeout: 30)
                #expect(result.status == .exited(137), "\(result.stderr)")  // the shell died of SIGKILL
            }
            expectNoGroupsLeft()
        }

        @Test("a command killed from outside: sb-cgroup exits 137 and leaves no group", .cgroupController("pids"))
        func killedCommand() throws {
            let path = Built.path("sb-cgroup")
            let request = SpawnRequest(
                path: path, arguments: [path, "run", "--json", "--pids", "10", "--", "/bin/sleep", "30"])
            let child = try ChildProcess(request)
            let record = try JSON.parse(child.readLine(timeout: 20) ?? "")
            let pid = try #require(record["pid"]?.intValue)
            let membership = Cgroups.membership(pid: "\(pid)")
            #expect(membership.contains { $0.path.hasPrefix("/sandboxlabs/") }, "\(membership)")
            var directories: [String] = []
            if case .array(let items)? = record["cgroup"] { directories = items.compactMap(\.stringValue) }
            #expect(!directories.isEmpty && directories.allSatisfy(Sys.exists))
            kill(pid_t(pid), SIGKILL)
            let result = child.finish(timeout: 30)
            #expect(result.status == .exited(137))
            #expect(!directories.contains(where: Sys.exists))
            expectNoGroupsLeft()
        }

        @Test("a denied device: writing /dev/null fails with EPERM", .privileged)
        func deviceDenied() throws {
            try #require(CgroupHost.canDenyDevices, "no devices controller and not v2: \(CgroupHost.mode)")
            let result = try run(
                "sb-cgroup", ["run", "--deny-device", "c 1:3", "--", "/bin/sh", "-c", "echo x > /dev/null"], timeout: 30
            )
            #expect(result.status != .exited(0))
            #expect(result.stderr.contains("Operation not permitted"), "\(result.stderr)")
            let allowed = try run("sb-cgroup", ["run", "--quiet", "--", "/bin/sh", "-c", "echo x > /dev/null"])
            #expect(allowed.status == .exited(0))
            expectNoGroupsLeft()
        }
    }
}
