import SandboxCgroups
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// What lab 08's checks read from the kernel: memberships, group files, leftovers.
enum Lab08Files {
    static let mode = CgroupMode.detect()
    static let root = "/sys/fs/cgroup"

    /// A bounded fork loop: 200 tries, children sleep 2 s; prints "forked N refused M".
    /// The same program as Labs/08-cgroups/forkloop.py, inlined because sb-grade may run
    /// where the repository is not; keep the two in step.
    static let forkLoop = [
        "/usr/bin/python3", "-c",
        "import os, time\nmade, refused = [], 0\nfor i in range(200):\n    try:\n        pid = os.fork()\n"
            + "    except OSError:\n        refused += 1\n        continue\n    if pid == 0:\n        time.sleep(2)\n"
            + "        os._exit(0)\n    made.append(pid)\nprint('forked', len(made), 'refused', refused, flush=True)\n"
            + "for pid in made:\n    os.waitpid(pid, 0)\n",
    ]

    /// The /proc/PID/cgroup lines that matter: v2's `0::` line, or v1's memory, pids and cpu lines.
    static func membershipLines(_ lines: [String]) -> [String] {
        if mode.name == "v2" { return lines.filter { $0.hasPrefix("0::") } }
        return lines.filter { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return false }
            return parts[1].split(separator: ",").contains { ["memory", "pids", "cpu"].contains(String($0)) }
        }
    }

    /// The group directory holding `controller`'s files for the process.
    static func directory(pid: pid_t, controller: String) -> String? {
        for entry in Cgroups.membership(pid: "\(pid)") {
            if mode.name == "v2", entry.id == "0" { return root + entry.path }
            if mode.name != "v2", entry.controllers.split(separator: ",").contains(Substring(controller)) {
                return root + "/" + entry.controllers + entry.path
            }
        }
        return nil
    }

    /// The process's group directories (under sandboxlabs only).
    static func directories(pid: pid_t) -> [String] {
        let controllers = mode.name == "v2" ? ["memory"] : ["memory", "pids", "cpu"]
        let found = controllers.compactMap { directory(pid: pid, controller: $0) }
        return Array(Set(found.filter { $0.contains("/sandboxlabs/") })).sorted()
    }

    /// memory, pids and cpu limits as the group's files hold them (v1 spelled like v2).
    static func limits(pid: pid_t) -> [String: String] {
        func read(_ controller: String, _ file: String) -> String? {
            directory(pid: pid, controller: controller).flatMap { ProcFile.readTrimmed($0 + "/" + file) }
        }
        var found: [String: String] = [:]
        if mode.name == "v2" {
            found["memory"] = read("memory", "memory.max")
            found["pids"] = read("pids", "pids.max")
            found["cpu"] = read("cpu", "cpu.max")
        } else {
            found["memory"] = read("memory", "memory.limit_in_bytes")
            found["pids"] = read("pids", "pids.max")
            if let quota = read("cpu", "cpu.cfs_quota_us"), let period = read("cpu", "cpu.cfs_period_us") {
                found["cpu"] = quota == "-1" ? "max \(period)" : "\(quota) \(period)"
            }
        }
        return found
    }

    static func describe(_ limits: [String: String]) -> String {
        limits.isEmpty
            ? "nothing" : limits.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// Judges the --json record against the running command.
    static func judgeRecord(_ line: String, pid: pid_t) -> Verdict {
        guard let record = try? JSON.parse(line) else {
            return .fail("the first stdout line is not JSON: \(quoted(line))")
        }
        guard record["pid"]?.intValue == Int(pid) else {
            return .fail("pid is \(record["pid"]?.rendered() ?? "missing"), the command's pid is \(pid)")
        }
        var listed: [String] = []
        if case .array(let items)? = record["cgroup"] { listed = items.compactMap(\.stringValue) }
        let actual = directories(pid: pid)
        guard !actual.isEmpty, actual.allSatisfy(listed.contains) else {
            return .fail("cgroup lists \(listed), the command is in \(actual)")
        }
        return .pass("pid \(pid), cgroup \(listed.joined(separator: " "))")
    }

    /// The groups under sandboxlabs now, so a check can later remove only what appeared during it.
    static func existing() -> Set<String> { Set(Cgroups.existingGroups(mode: mode, root: root)) }

    /// Kills and removes the groups under sandboxlabs that were not there `before`: a wrong
    /// implementation leaves nothing running, and groups of other runs are left alone.
    static func removeLeftovers(except before: Set<String>) {
        for name in Cgroups.existingGroups(mode: mode, root: root) where !before.contains(name) {
            if let group = try? Cgroups.manager(name: name, mode: mode, root: root) { try? group.delete() }
        }
    }
}
