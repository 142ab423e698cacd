/// The limits a user asks for, in one vocabulary for both cgroup versions.
///
/// Each controller file (MemoryController.swift, CPUController.swift, ...) maps
/// its part of this onto v1 or v2 files; nil means "leave as it is".
public struct CgroupSettings: Equatable, Sendable {
    /// Hard memory limit in bytes: v2 memory.max, v1 memory.limit_in_bytes.
    public var memoryMax: CgroupLimit?
    /// Soft limit, reclaimed first under pressure: v2 memory.high, v1 memory.soft_limit_in_bytes.
    public var memoryHigh: CgroupLimit?
    /// Swap the group may use on top of memory: v2 memory.swap.max; v1 memory.memsw.limit_in_bytes
    /// (which counts memory + swap together, so it is memoryMax + swap there).
    public var swapMax: CgroupLimit?
    /// CPU time per period in µs: v2 cpu.max "QUOTA PERIOD", v1 cpu.cfs_quota_us + cpu.cfs_period_us.
    public var cpuQuota: CgroupLimit?
    /// The period for `cpuQuota`, default 100000 µs.
    public var cpuPeriod: Int64 = 100_000
    /// Relative CPU share on the v2 scale 1..10000 (default 100); v1 cpu.shares is converted.
    public var cpuWeight: Int64?
    /// CPUs and memory nodes the group may use, as "0-1" lists: cpuset.cpus / cpuset.mems.
    public var cpusetCPUs: String?
    public var cpusetMems: String?
    /// Most processes (threads) at once: pids.max on both versions.
    public var pidsMax: CgroupLimit?
    /// Throttles on block devices: v2 io.max, v1 blkio.throttle.*_device.
    public var ioLimits: [IOLimit] = []
    /// Relative IO share 1..10000: v2 io.weight, v1 blkio.weight (10..1000).
    public var ioWeight: Int64?
    /// Device rules, in order: v1 devices.allow / devices.deny; v2 needs a BPF program.
    public var devices: [DeviceRule] = []

    public init() {}

    /// Whether nothing is set.
    public var isEmpty: Bool { self == CgroupSettings() }
}

/// A bandwidth or IOPS limit on one block device (by major:minor).
public struct IOLimit: Equatable, Sendable {
    public var major: Int
    public var minor: Int
    public var readBytesPerSecond: Int64?
    public var writeBytesPerSecond: Int64?
    public var readIOPerSecond: Int64?
    public var writeIOPerSecond: Int64?

    public init(
        major: Int, minor: Int, readBytesPerSecond: Int64? = nil, writeBytesPerSecond: Int64? = nil,
        readIOPerSecond: Int64? = nil, writeIOPerSecond: Int64? = nil
    ) {
        self.major = major
        self.minor = minor
        self.readBytesPerSecond = readBytesPerSecond
        self.writeBytesPerSecond = writeBytesPerSecond
        self.readIOPerSecond = readIOPerSecond
        self.writeIOPerSecond = writeIOPerSecond
    }
}

/// One write into a cgroup file: which controller's hierarchy (v1) or which
/// controller must be enabled (v2), the file name, the text.
public struct CgroupWrite: Equatable, Sendable, CustomStringConvertible {
    public var controller: String
    public var file: String
    public var value: String

    public init(_ controller: String, _ file: String, _ value: String) {
        self.controller = controller
        self.file = file
        self.value = value
    }

    public var description: String { "\(file) \"\(value)\"" }
}

/// What a cgroup has used, in one vocabulary; nil where this host does not say.
public struct CgroupStats: Equatable, Sendable {
    public var memoryCurrent: Int64?
    public var memoryPeak: Int64?
    /// Processes the OOM killer killed in this group: v2 memory.events oom_kill, v1 memory.oom_control oom_kill.
    public var oomKills: Int64?
    /// Times the memory limit was hit: v2 memory.events max, v1 memory.failcnt.
    public var memoryLimitHits: Int64?
    public var cpuUsageMicroseconds: Int64?
    public var throttledPeriods: Int64?
    public var throttledMicroseconds: Int64?
    public var pidsCurrent: Int64?
    /// Forks refused because pids.max was reached: pids.events max.
    public var pidsLimitHits: Int64?
    public var frozen: Bool?

    public init() {}
}
