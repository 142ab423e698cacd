import SandboxCgroups
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 08: limit a command with a cgroup.
///
/// Contract: `IMPL run [--quiet | --json] [--name NAME] [--memory BYTES] [--pids N] [--cpus X] -- CMD [ARGS...]`
/// makes a cgroup under a parent named `sandboxlabs` (v2: /sys/fs/cgroup/sandboxlabs/NAME; v1 and hybrid:
/// /sys/fs/cgroup/CONTROLLER/sandboxlabs/NAME for memory, pids and cpu at least), writes the limits
/// (BYTES takes K/M/G suffixes; --cpus 0.5 means a quota of 50000 µs per 100000 µs), puts the child in
/// the group before it runs CMD, waits, removes the group (also when CMD was killed) and exits with
/// CMD's status (128+N if signal N killed it). --json prints, as the first stdout line, one JSON object
/// with at least `pid` (CMD's pid) and `cgroup` (an array of the group's directories).
///
/// The checks look from outside: /proc/PID/cgroup, the group's files, what is left afterwards.
/// Whatever an implementation leaves under sandboxlabs is killed and removed after each check
/// (only groups that appeared during the check: other runs' groups are left alone).
enum Lab08 {
    static let lab = Lab(
        number: "08", slug: "08-cgroups", title: "cgroups: limit, account and control a command",
        reference: "sb-cgroup",
        contract: "IMPL run [--quiet | --json] [--name NAME] [--memory BYTES] [--pids N] [--cpus X] -- CMD [ARGS...]",
        checks: [runs, inGroup, limits, pidsEnforced, cleanup, killedCleanup, json],
        starterSources: ["Sources/sb-cgroup"], needsRootfs: false)

    static let limitArguments = ["--memory", "32M", "--pids", "20", "--cpus", "0.5"]

    static let runs = Check(
        id: "08.runs", title: "run executes the command and passes its exit status on", points: 10,
        hint: "`IMPL run --quiet -- CMD` must execve CMD (the words after --), print nothing of its own with"
            + " --quiet, wait for it and exit with its status."
    ) { context in
        let result = try guarded {
            try Probe(context: context).run(["run", "--quiet", "--", "/bin/sh", "-c", "echo hello; exit 3"])
        }
        guard result.stdout.trimmingWhitespace() == "hello", result.status == .exited(3) else {
            return .fail("expected \"hello\" and status 3; got stdout \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("printed hello, exited 3")
    }

    static let inGroup = Check(
        id: "08.in-group",
        title: "the command starts inside a group under sandboxlabs (its first read of /proc/self/cgroup)",
        points: 20, dependsOn: ["08.runs"],
        hint: "make the group (mkdir under /sys/fs/cgroup[/CONTROLLER]/sandboxlabs), start the child stopped"
            + " (a pipe it waits on), write its pid to cgroup.procs, and only then let it exec: a process joined"
            + " after exec has already run outside its limits."
    ) { context in
        let result = try guarded {
            try Probe(context: context).run(
                ["run", "--quiet"] + limitArguments + ["--", "/bin/cat", "/proc/self/cgroup"])
        }
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let wanted = Lab08Files.membershipLines(lines)
        guard !wanted.isEmpty, wanted.allSatisfy({ $0.contains(":/sandboxlabs/") }) else {
            return .fail(
                "the command's /proc/self/cgroup said \(quoted(lines.joined(separator: " | "))); \(summary(result))")
        }
        return .pass(wanted.joined(separator: " "))
    }

    static let limits = Check(
        id: "08.limits", title: "the group's files hold the limits (memory 32M, pids 20, cpu 0.5)", points: 20,
        dependsOn: ["08.in-group"],
        hint: "write the limits before the child runs: v2 memory.max 33554432, pids.max 20, cpu.max \"50000 100000\";"
            + " v1 memory.limit_in_bytes, pids.max, cpu.cfs_period_us 100000 then cpu.cfs_quota_us 50000."
            + " On v2, enable the controllers first (+memory +pids +cpu in sandboxlabs/cgroup.subtree_control)."
    ) { context in
        let (found, result) = try guarded {
            try Probe(context: context).whileRunning(["run", "--quiet"] + limitArguments) { pid, _ in
                Lab08Files.limits(pid: pid)
            }
        }
        let expected = ["memory": "33554432", "pids": "20", "cpu": "50000 100000"]
        guard found == expected else {
            return .fail(
                "the group holds \(Lab08Files.describe(found)), expected \(Lab08Files.describe(expected)); \(summary(result))"
            )
        }
        return .pass(Lab08Files.describe(found))
    }

    static let pidsEnforced = Check(
        id: "08.pids-enforced", title: "pids.max stops a bounded fork loop (200 forks, at most 20 tasks)", points: 15,
        dependsOn: ["08.in-group"],
        hint: "the loop could fork more than 20 times: pids.max was not set to 20 in the group the command is in"
            + " (v1: the pids hierarchy; v2: enable +pids in sandboxlabs/cgroup.subtree_control first)."
    ) { context in
        let result = try guarded {
            try Probe(context: context).run(["run", "--quiet", "--pids", "20", "--"] + Lab08Files.forkLoop)
        }
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("forked ") } ?? ""
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] < 20, numbers[1] > 0 else {
            return .fail("the loop said \(quoted(String(line))); \(summary(result))")
        }
        return .pass(String(line))
    }

    static let cleanup = Check(
        id: "08.cleanup", title: "the group is removed after the command exits", points: 15,
        dependsOn: ["08.in-group"],
        hint: "after waitpid, rmdir the group's directory in every hierarchy (retry on EBUSY), and sandboxlabs"
            + " too once it is empty: a container runtime that leaks a cgroup per container fills the host."
    ) { context in
        // Look at what is left before `guarded` removes it.
        let (directories, left, result) = try guarded {
            let (directories, result) = try Probe(context: context).whileRunning(["run", "--quiet"] + limitArguments) {
                pid, _ in Lab08Files.directories(pid: pid)
            }
            return (directories, directories.filter(Sys.exists), result)
        }
        guard !directories.isEmpty, left.isEmpty else {
            return .fail("still there after the run: \(left.joined(separator: " ")); \(summary(result))")
        }
        return .pass("removed \(directories.count) director\(directories.count == 1 ? "y" : "ies")")
    }

    static let killedCleanup = Check(
        id: "08.killed-cleanup", title: "a command killed with SIGKILL: status 137 and no group left", points: 10,
        dependsOn: ["08.cleanup"],
        hint: "a killed command is a normal end for a runtime (OOM killer, docker kill): after waitpid, report"
            + " 128+signal and remove the group on that path too."
    ) { context in
        let probe = Probe(context: context)
        let before = Lab08Files.existing()
        let child = try ChildProcess(probe.request(["run", "--quiet", "--pids", "20", "--"] + Probe.waitingPayload))
        defer { Lab08Files.removeLeftovers(except: before) }
        guard let line = child.readLine(timeout: context.timeout), let pid = pid_t(line.trimmingWhitespace()) else {
            return .fail("no pid from the command; \(summary(child.finish(timeout: 2)))")
        }
        let directories = Lab08Files.directories(pid: pid)
        kill(pid, SIGKILL)
        let result = child.finish(timeout: context.timeout)
        let left = directories.filter(Sys.exists)
        guard result.status == .exited(137), !directories.isEmpty, left.isEmpty else {
            return .fail("\(summary(result)); left behind: \(left.isEmpty ? "nothing" : left.joined(separator: " "))")
        }
        return .pass("exited 137, nothing left")
    }

    static let json = Check(
        id: "08.json", title: "--json: the first line names the command's pid and its group directories", points: 10,
        dependsOn: ["08.in-group"],
        hint: "with --json print one JSON object as the first stdout line, before the command's output:"
            + " {\"pid\": PID of the command, \"cgroup\": [\"/sys/fs/cgroup/.../sandboxlabs/NAME\", ...]}."
    ) { context in
        let (verdict, _) = try guarded {
            try Probe(context: context).whileRunning(["run", "--json", "--pids", "20"], skipLines: 1) { pid, skipped in
                Lab08Files.judgeRecord(skipped.first ?? "", pid: pid)
            }
        }
        return verdict
    }

    /// Runs a check's body, then removes whatever the implementation left under sandboxlabs.
    static func guarded<T>(_ body: () throws -> T) throws -> T {
        let before = Lab08Files.existing()
        defer { Lab08Files.removeLeftovers(except: before) }
        return try body()
    }
}
