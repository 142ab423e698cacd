/// memory: limit, soft limit, swap, usage, OOM kills.
public enum MemoryController {
    /// cgroup v2 files: memory.max, memory.high, memory.swap.max.
    public static func v2Writes(_ settings: CgroupSettings) -> [CgroupWrite] {
        var writes: [CgroupWrite] = []
        if let high = settings.memoryHigh { writes.append(.init("memory", "memory.high", high.v2Text)) }
        if let max = settings.memoryMax { writes.append(.init("memory", "memory.max", max.v2Text)) }
        if let swap = settings.swapMax { writes.append(.init("memory", "memory.swap.max", swap.v2Text)) }
        return writes
    }

    /// cgroup v1 files. memsw counts memory + swap and must stay ≥ the memory
    /// limit, so the memory limit is written first and memsw is their sum.
    public static func v1Writes(_ settings: CgroupSettings) -> [CgroupWrite] {
        var writes: [CgroupWrite] = []
        if let max = settings.memoryMax { writes.append(.init("memory", "memory.limit_in_bytes", max.v1Text)) }
        if let high = settings.memoryHigh {
            writes.append(.init("memory", "memory.soft_limit_in_bytes", high.v1Text))
        }
        if let swap = settings.swapMax {
            let total: CgroupLimit =
                switch (settings.memoryMax, swap) {
                case (.value(let memory), .value(let swapBytes)): .value(memory + swapBytes)
                default: .unlimited
                }
            writes.append(.init("memory", "memory.memsw.limit_in_bytes", total.v1Text))
        }
        return writes
    }

    /// Fills the memory part of `stats` from a v2 group's files (read by `read`).
    public static func v2Stats(into stats: inout CgroupStats, read: (String) -> String?) {
        stats.memoryCurrent = read("memory.current").flatMap { Int64($0) }
        stats.memoryPeak = read("memory.peak").flatMap { Int64($0) }  // 5.19+
        if let events = read("memory.events").map(CgroupValues.keyedValues) {
            stats.oomKills = events["oom_kill"]
            stats.memoryLimitHits = events["max"]
        }
    }

    /// Fills the memory part of `stats` from a v1 group's files.
    public static func v1Stats(into stats: inout CgroupStats, read: (String) -> String?) {
        stats.memoryCurrent = read("memory.usage_in_bytes").flatMap { Int64($0) }
        stats.memoryPeak = read("memory.max_usage_in_bytes").flatMap { Int64($0) }
        stats.oomKills = read("memory.oom_control").map(CgroupValues.keyedValues)?["oom_kill"]  // 4.13+
        stats.memoryLimitHits = read("memory.failcnt").flatMap { Int64($0) }
    }
}

/// pids: the most tasks at once, and how often a fork was refused.
public enum PidsController {
    /// pids.max is spelled the same on both versions (`max` or a number).
    public static func writes(_ settings: CgroupSettings) -> [CgroupWrite] {
        settings.pidsMax.map { [CgroupWrite("pids", "pids.max", $0.v2Text)] } ?? []
    }

    /// pids.current and pids.events' `max` line (same on both versions).
    public static func stats(into stats: inout CgroupStats, read: (String) -> String?) {
        stats.pidsCurrent = read("pids.current").flatMap { Int64($0) }
        stats.pidsLimitHits = read("pids.events").map(CgroupValues.keyedValues)?["max"]
    }
}
