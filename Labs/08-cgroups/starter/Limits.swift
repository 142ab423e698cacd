// Starter for lab08, generated from Sources/sb-cgroup/Limits.swift by scripts/make-starters. Fill in the TODOs.
import ArgumentParser
import SandboxCgroups
import SandboxCore

/// The limit options shared by `create`, `set` and `run`: one vocabulary, both cgroup versions.
struct LimitOptions: ParsableArguments {
    @Option(help: "Hard memory limit, e.g. 64M (memory.max / memory.limit_in_bytes). 'max' = none.")
    var memory: String?

    @Option(help: "Soft memory limit, reclaimed first (memory.high / memory.soft_limit_in_bytes).")
    var memoryHigh: String?

    @Option(help: "Swap on top of --memory (memory.swap.max / memory.memsw.limit_in_bytes = memory+swap).")
    var swap: String?

    @Option(help: "CPU time as a number of CPUs, e.g. 0.5 (cpu.max \"50000 100000\" / cpu.cfs_quota_us).")
    var cpus: Double?

    @Option(help: "Relative CPU weight 1..10000, default 100 (cpu.weight; v1 cpu.shares, converted).")
    var cpuWeight: Int64?

    @Option(help: "CPUs allowed, e.g. 0 or 0-1 (cpuset.cpus).")
    var cpusetCpus: String?

    @Option(help: "Memory nodes allowed, e.g. 0 (cpuset.mems).")
    var cpusetMems: String?

    @Option(help: "Most processes at once (pids.max). 'max' = none.")
    var pids: String?

    @Option(help: "Read bandwidth limit on a device, MAJ:MIN=RATE, e.g. 254:0=1M (io.max rbps / blkio).")
    var ioReadBps: [String] = []

    @Option(help: "Write bandwidth limit on a device, MAJ:MIN=RATE (io.max wbps / blkio).")
    var ioWriteBps: [String] = []

    @Option(help: "Relative IO weight 1..10000 (io.weight; v1 blkio.weight 10..1000).")
    var ioWeight: Int64?

    @Option(help: "Deny a device: 'c 1:3' or 'c 1:3 w' (v1 devices.deny; v2 a BPF program).")
    var denyDevice: [String] = []

    @Option(help: "Allow a device, same form (v1 devices.allow; v2 a rule in the BPF program).")
    var allowDevice: [String] = []

    /// The options as settings; throws a usage error for a value that does not parse.
    func settings() throws -> CgroupSettings {
        var settings = CgroupSettings()
        settings.memoryMax = try memory.map { try limit("--memory", $0) }
        settings.memoryHigh = try memoryHigh.map { try limit("--memory-high", $0) }
        settings.swapMax = try swap.map { try limit("--swap", $0) }
        settings.pidsMax = try pids.map { try limit("--pids", $0) }
        if let cpus {
            guard cpus > 0 else { throw ValidationError("--cpus must be more than 0, got \(cpus)") }
            let (quota, period) = CgroupValues.quota(forCPUs: cpus)
            settings.cpuQuota = .value(quota)
            settings.cpuPeriod = period
        }
        if let cpuWeight, !(1...10_000).contains(cpuWeight) {
            throw ValidationError("--cpu-weight must be 1..10000, got \(cpuWeight)")
        }
        settings.cpuWeight = cpuWeight
        settings.cpusetCPUs = cpusetCpus
        settings.cpusetMems = cpusetMems
        settings.ioWeight = ioWeight
        settings.ioLimits = try ioLimits()
        do {
            settings.devices =
                try denyDevice.map { try DeviceRule(withAccess($0), allow: false) }
                + allowDevice.map { try DeviceRule(withAccess($0), allow: true) }
        } catch {
            throw ValidationError("\(error)")  // a rule as typed on the command line: a usage error
        }
        return settings
    }

    func limit(_ option: String, _ text: String) throws -> CgroupLimit {
        guard let value = CgroupLimit.parse(text) else {
            throw ValidationError("\(option): expected a number with an optional K/M/G suffix, or max; got \"\(text)\"")
        }
        return value
    }

    /// `254:0=1M` options, merged per device.
    func ioLimits() throws -> [IOLimit] {
        var limits: [IOLimit] = []
        for (text, isRead) in ioReadBps.map({ ($0, true) }) + ioWriteBps.map({ ($0, false) }) {
            let parts = text.split(separator: "=")
            let device = parts.first?.split(separator: ":").compactMap { Int($0) } ?? []
            guard parts.count == 2, device.count == 2, let rate = CgroupValues.parseBytes(String(parts[1])) else {
                throw ValidationError("IO limits are MAJ:MIN=RATE, e.g. 254:0=1M; got \"\(text)\"")
            }
            var limit =
                limits.first { $0.major == device[0] && $0.minor == device[1] }
                ?? IOLimit(major: device[0], minor: device[1])
            if isRead { limit.readBytesPerSecond = rate } else { limit.writeBytesPerSecond = rate }
            limits.removeAll { $0.major == device[0] && $0.minor == device[1] }
            limits.append(limit)
        }
        return limits
    }
}

/// --quiet and --json, on every subcommand.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print nothing of our own; only the command's output (run) or nothing (others).")
    var quiet = false

    @Flag(help: "Print one JSON record as the first line of stdout.")
    var json = false

    func narrator() -> Narrator { Narrator(tool: "sb-cgroup", mode: .from(quiet: quiet, json: json)) }
}

/// Runs a subcommand's body and turns errors into the project's exit codes:
/// 125 when sb-cgroup failed, 64 for a usage error.
func reporting(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ValidationError {
        throw error
    } catch let error as DeviceRuleError {
        Terminal.reportError(tool: "sb-cgroup", error)
        throw ExitCode(64)  // a usage error: the rule as typed is malformed
    } catch let error as CgroupError {
        Terminal.reportError(tool: "sb-cgroup", error)
        if case .invalidName = error { throw ExitCode(64) }
        throw ExitCode(125)
    } catch {
        Terminal.reportError(tool: "sb-cgroup", error)
        throw ExitCode(125)
    }
}

/// The manager for NAME on this host, narrating its file writes.
func manager(_ name: String, _ narrator: Narrator) throws -> any CgroupManager {
    try Cgroups.manager(name: name, files: CgroupFiles(narrator: narrator))
}

/// `c 1:3` → `c 1:3 rwm`: the access defaults to everything, as in docker's rules.
func withAccess(_ rule: String) -> String {
    rule.split(separator: " ").count == 2 ? rule + " rwm" : rule
}
