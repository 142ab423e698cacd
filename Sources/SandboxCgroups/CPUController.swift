/// cpu and cpuset: quota per period, weight, which CPUs; usage and throttling.
public enum CPUController {
    /// v2: cpu.max "QUOTA PERIOD" (QUOTA may be max), cpu.weight, cpuset.cpus/mems.
    public static func v2Writes(_ settings: CgroupSettings) -> [CgroupWrite] {
        var writes: [CgroupWrite] = []
        if let quota = settings.cpuQuota {
            writes.append(.init("cpu", "cpu.max", "\(quota.v2Text) \(settings.cpuPeriod)"))
        }
        if let weight = settings.cpuWeight { writes.append(.init("cpu", "cpu.weight", String(weight))) }
        if let cpus = settings.cpusetCPUs { writes.append(.init("cpuset", "cpuset.cpus", cpus)) }
        if let mems = settings.cpusetMems { writes.append(.init("cpuset", "cpuset.mems", mems)) }
        return writes
    }

    /// v1: the period first (the kernel checks quota against it), then the quota
    /// (-1 = none), cpu.shares converted from the weight, cpuset files.
    public static func v1Writes(_ settings: CgroupSettings) -> [CgroupWrite] {
        var writes: [CgroupWrite] = []
        if let quota = settings.cpuQuota {
            writes.append(.init("cpu", "cpu.cfs_period_us", String(settings.cpuPeriod)))
            writes.append(.init("cpu", "cpu.cfs_quota_us", quota.v1Text))
        }
        if let weight = settings.cpuWeight {
            writes.append(.init("cpu", "cpu.shares", String(CgroupValues.shares(fromWeight: weight))))
        }
        if let cpus = settings.cpusetCPUs { writes.append(.init("cpuset", "cpuset.cpus", cpus)) }
        if let mems = settings.cpusetMems { writes.append(.init("cpuset", "cpuset.mems", mems)) }
        return writes
    }

    /// v2 cpu.stat: usage_usec, nr_throttled, throttled_usec.
    public static func v2Stats(into stats: inout CgroupStats, read: (String) -> String?) {
        guard let values = read("cpu.stat").map(CgroupValues.keyedValues) else { return }
        stats.cpuUsageMicroseconds = values["usage_usec"]
        stats.throttledPeriods = values["nr_throttled"]
        stats.throttledMicroseconds = values["throttled_usec"]
    }

    /// v1: cpuacct.usage (ns) in the cpuacct hierarchy; cpu.stat nr_throttled and
    /// throttled_time (ns) in the cpu hierarchy. `read(controller, file)`.
    public static func v1Stats(into stats: inout CgroupStats, read: (String, String) -> String?) {
        stats.cpuUsageMicroseconds = read("cpuacct", "cpuacct.usage").flatMap { Int64($0) }.map { $0 / 1000 }
        guard let values = read("cpu", "cpu.stat").map(CgroupValues.keyedValues) else { return }
        stats.throttledPeriods = values["nr_throttled"]
        stats.throttledMicroseconds = values["throttled_time"].map { $0 / 1000 }
    }
}

/// io / blkio: throttles per device and a weight.
public enum IOController {
    /// v2 io.max: one line per device, `MAJ:MIN rbps=N wbps=N riops=N wiops=N` (only the keys set).
    public static func v2Writes(_ settings: CgroupSettings) -> [CgroupWrite] {
        var writes: [CgroupWrite] = settings.ioLimits.map { limit in
            let keys: [(String, Int64?)] = [
                ("rbps", limit.readBytesPerSecond), ("wbps", limit.writeBytesPerSecond),
                ("riops", limit.readIOPerSecond), ("wiops", limit.writeIOPerSecond),
            ]
            let pairs = keys.compactMap { key, value in value.map { "\(key)=\($0)" } }
            return CgroupWrite("io", "io.max", (["\(limit.major):\(limit.minor)"] + pairs).joined(separator: " "))
        }
        if let weight = settings.ioWeight { writes.append(.init("io", "io.weight", "default \(weight)")) }
        return writes
    }

    /// v1: one file per kind of throttle, `MAJ:MIN N` each; blkio.weight 10..1000.
    public static func v1Writes(_ settings: CgroupSettings) -> [CgroupWrite] {
        var writes: [CgroupWrite] = []
        for limit in settings.ioLimits {
            let device = "\(limit.major):\(limit.minor)"
            let files: [(String, Int64?)] = [
                ("blkio.throttle.read_bps_device", limit.readBytesPerSecond),
                ("blkio.throttle.write_bps_device", limit.writeBytesPerSecond),
                ("blkio.throttle.read_iops_device", limit.readIOPerSecond),
                ("blkio.throttle.write_iops_device", limit.writeIOPerSecond),
            ]
            for (file, value) in files { if let value { writes.append(.init("blkio", file, "\(device) \(value)")) } }
        }
        if let weight = settings.ioWeight {
            writes.append(.init("blkio", "blkio.weight", String(CgroupValues.blkioWeight(fromWeight: weight))))
        }
        return writes
    }
}

/// devices on v1: one rule per write to devices.deny or devices.allow.
public enum DevicesController {
    /// `devices.deny "c 1:3 rwm"`: v1 keeps a list per group; v2 has no such file.
    public static func v1Writes(_ settings: CgroupSettings) -> [CgroupWrite] {
        settings.devices.map { CgroupWrite("devices", $0.allow ? "devices.allow" : "devices.deny", $0.description) }
    }
}
