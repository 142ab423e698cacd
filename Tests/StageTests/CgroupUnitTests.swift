import SandboxCore
import Testing

@testable import SandboxCgroups

/// Pure mapping tests and both managers against fixture trees. A fixture is no
/// substitute for the kernel: CgroupKernelTests runs the same vocabulary for real.
@Suite("SandboxCgroups: values, mapping, managers on fixture trees")
struct CgroupUnitTests {
    @Test("byte suffixes, max and -1")
    func limits() {
        #expect(CgroupLimit.parse("64M") == .value(67_108_864))
        #expect(CgroupLimit.parse("512k") == .value(524_288))
        #expect(CgroupLimit.parse("1G") == .value(1_073_741_824))
        #expect(CgroupLimit.parse("2GiB") == .value(2_147_483_648))
        #expect(CgroupLimit.parse("20") == .value(20))
        #expect(CgroupLimit.parse("max") == .unlimited)
        #expect(CgroupLimit.parse("-1") == .unlimited)
        #expect(CgroupLimit.parse("lots") == nil)
        #expect(CgroupLimit.parse("-5") == nil)
        #expect(CgroupLimit.parse("99999999999T") == nil)  // overflows Int64
        #expect(CgroupLimit.unlimited.v2Text == "max")
        #expect(CgroupLimit.unlimited.v1Text == "-1")
        #expect(CgroupValues.formatBytes(67_108_864) == "64M")
        #expect(CgroupValues.formatBytes(1000) == "1000")
    }

    @Test("cpu weight <-> shares: the ends meet, the ratio survives")
    func weightShares() {
        #expect(CgroupValues.weight(fromShares: 2) == 1)
        #expect(CgroupValues.weight(fromShares: 262_144) == 10_000)
        #expect(CgroupValues.weight(fromShares: 1024) == 39)  // the known quirk: not 100
        #expect(CgroupValues.shares(fromWeight: 1) == 2)
        #expect(CgroupValues.shares(fromWeight: 10_000) == 262_144)
        #expect(CgroupValues.shares(fromWeight: 100) == 2598)
        #expect(CgroupValues.shares(fromWeight: 200) == 5220)  // twice the weight, about twice the shares
        for weight: Int64 in [1, 39, 100, 5000, 10_000] {
            #expect(CgroupValues.weight(fromShares: CgroupValues.shares(fromWeight: weight)) == weight)
        }
        #expect(CgroupValues.blkioWeight(fromWeight: 1) == 10)
        #expect(CgroupValues.blkioWeight(fromWeight: 10_000) == 1000)
        #expect(CgroupValues.quota(forCPUs: 0.5) == (50_000, 100_000))
        #expect(CgroupValues.quota(forCPUs: 2) == (200_000, 100_000))
    }

    static func sample() throws -> CgroupSettings {
        var settings = CgroupSettings()
        settings.memoryMax = .value(64 << 20)
        settings.memoryHigh = .value(48 << 20)
        settings.swapMax = .value(16 << 20)
        settings.cpuQuota = .value(50_000)
        settings.cpuWeight = 200
        settings.cpusetCPUs = "0"
        settings.pidsMax = .value(20)
        settings.ioLimits = [IOLimit(major: 254, minor: 0, readBytesPerSecond: 1 << 20, writeIOPerSecond: 100)]
        settings.ioWeight = 100
        settings.devices = [try DeviceRule("c 1:3 rwm", allow: false)]
        return settings
    }

    @Test("one vocabulary, v2 files")
    func v2Mapping() throws {
        let settings = try Self.sample()
        let writes =
            MemoryController.v2Writes(settings) + CPUController.v2Writes(settings) + PidsController.writes(settings)
            + IOController.v2Writes(settings)
        #expect(
            writes.map(\.description) == [
                "memory.high \"50331648\"", "memory.max \"67108864\"", "memory.swap.max \"16777216\"",
                "cpu.max \"50000 100000\"", "cpu.weight \"200\"", "cpuset.cpus \"0\"", "pids.max \"20\"",
                "io.max \"254:0 rbps=1048576 wiops=100\"", "io.weight \"default 100\"",
            ])
    }

    @Test("one vocabulary, v1 files (memsw = memory + swap, period before quota, shares converted)")
    func v1Mapping() throws {
        let settings = try Self.sample()
        let writes =
            MemoryController.v1Writes(settings) + CPUController.v1Writes(settings) + PidsController.writes(settings)
            + IOController.v1Writes(settings) + DevicesController.v1Writes(settings)
        #expect(
            writes.map { "\($0.controller)/\($0.description)" } == [
                "memory/memory.limit_in_bytes \"67108864\"", "memory/memory.soft_limit_in_bytes \"50331648\"",
                "memory/memory.memsw.limit_in_bytes \"83886080\"", "cpu/cpu.cfs_period_us \"100000\"",
                "cpu/cpu.cfs_quota_us \"50000\"", "cpu/cpu.shares \"5220\"", "cpuset/cpuset.cpus \"0\"",
                "pids/pids.max \"20\"", "blkio/blkio.throttle.read_bps_device \"254:0 1048576\"",
                "blkio/blkio.throttle.write_iops_device \"254:0 100\"", "blkio/blkio.weight \"19\"",
                "devices/devices.deny \"c 1:3 rwm\"",
            ])
        var unlimited = CgroupSettings()
        unlimited.memoryMax = .unlimited
        unlimited.cpuQuota = .unlimited
        #expect(MemoryController.v1Writes(unlimited).map(\.value) == ["-1"])
        #expect(CPUController.v1Writes(unlimited).map(\.value) == ["100000", "-1"])
        #expect(CPUController.v2Writes(unlimited).map(\.value) == ["max 100000"])
    }

    @Test("stats from v2 and v1 files")
    func statsParsing() {
        var v2 = CgroupStats()
        let v2Files = [
            "memory.current": "4096", "memory.peak": "33554432",
            "memory.events": "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0",
            "cpu.stat":
                "usage_usec 1000\nuser_usec 600\nsystem_usec 400\nnr_periods 20\nnr_throttled 19\nthrottled_usec 950000",
            "pids.current": "3", "pids.events": "max 181",
        ]
        MemoryController.v2Stats(into: &v2) { v2Files[$0] }
        CPUController.v2Stats(into: &v2) { v2Files[$0] }
        PidsController.stats(into: &v2) { v2Files[$0] }
        #expect(v2.memoryPeak == 33_554_432 && v2.oomKills == 1 && v2.memoryLimitHits == 12)
        #expect(v2.cpuUsageMicroseconds == 1000 && v2.throttledPeriods == 19 && v2.throttledMicroseconds == 950_000)
        #expect(v2.pidsCurrent == 3 && v2.pidsLimitHits == 181)
        var v1 = CgroupStats()
        let v1Files = [
            "memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2", "memory/memory.failcnt": "7",
            "cpuacct/cpuacct.usage": "2000000", "cpu/cpu.stat": "nr_periods 5\nnr_throttled 4\nthrottled_time 3000000",
        ]
        MemoryController.v1Stats(into: &v1) { v1Files["memory/" + $0] }
        CPUController.v1Stats(into: &v1) { v1Files[$0 + "/" + $1] }
        #expect(v1.oomKills == 2 && v1.memoryLimitHits == 7)
        #expect(v1.cpuUsageMicroseconds == 2000 && v1.throttledPeriods == 4 && v1.throttledMicroseconds == 3000)
    }

    @Test("names cannot leave sandboxlabs")
    func names() {
        for bad in ["", ".", "..", "a/b", "../x", "x y"] {
            #expect(throws: CgroupError.invalidName(bad)) { try Cgroups.validate(name: bad) }
        }
        #expect(throws: Never.self) { try Cgroups.validate(name: "web-1_a.b") }
    }
}
