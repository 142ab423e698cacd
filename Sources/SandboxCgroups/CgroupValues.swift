/// A limit a cgroup file can hold: a number, or no limit at all.
///
/// cgroup v2 spells "no limit" `max` in every file; v1 spells it `-1` in most
/// (memory.limit_in_bytes, cpu.cfs_quota_us) and `max` in pids.max.
public enum CgroupLimit: Equatable, Sendable, CustomStringConvertible {
    case unlimited
    case value(Int64)

    /// The v2 spelling: `max` or the number.
    public var v2Text: String {
        switch self {
        case .unlimited: "max"
        case .value(let number): String(number)
        }
    }

    /// The v1 spelling: `-1` or the number.
    public var v1Text: String {
        switch self {
        case .unlimited: "-1"
        case .value(let number): String(number)
        }
    }

    public var description: String { v2Text }

    /// Parses what a user types: `max` (or `-1`), a plain number, or bytes with a
    /// K/M/G/T suffix (powers of 1024, as the kernel and docker do): `64M` = 67108864.
    public static func parse(_ text: String) -> CgroupLimit? {
        let trimmed = text.trimmingWhitespace()
        if trimmed == "max" || trimmed == "-1" { return .unlimited }
        return CgroupValues.parseBytes(trimmed).map { .value($0) }
    }

    /// Parses what a cgroup file holds: `max`, `-1`, or a number. v1 reports
    /// "no limit" as a huge page-rounded number (9223372036854771712), shown as is.
    public static func parseFile(_ text: String) -> CgroupLimit? {
        let trimmed = text.trimmingWhitespace()
        if trimmed == "max" || trimmed == "-1" { return .unlimited }
        return Int64(trimmed).map { .value($0) }
    }
}

/// Pure conversions between what a user says and what a cgroup file holds.
public enum CgroupValues {
    /// `64M` → 67108864. Suffixes K, M, G, T (optionally followed by B or iB), powers of 1024.
    public static func parseBytes(_ text: String) -> Int64? {
        var digits = text.uppercased()
        for tail in ["IB", "B"] where digits.hasSuffix(tail) && digits.count > tail.count {
            digits.removeLast(tail.count)
            break
        }
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var factor: Int64 = 1
        if let last = digits.last, let unit = units[last] {
            factor = unit
            digits.removeLast()
        }
        guard let number = Int64(digits), number >= 0 else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    /// 67108864 → `64M`: the shortest exact spelling, for narration and tables.
    public static func formatBytes(_ bytes: Int64) -> String {
        for (unit, factor) in [("G", Int64(1) << 30), ("M", Int64(1) << 20), ("K", Int64(1) << 10)]
        where bytes >= factor && bytes % factor == 0 {
            return "\(bytes / factor)\(unit)"
        }
        return String(bytes)
    }

    /// v1 cpu.shares (2..262144, default 1024) → v2 cpu.weight (1..10000, default 100).
    ///
    /// The linear map runc (`ConvertCPUSharesToCgroupV2Value`) and crun have used
    /// since 2019, so that an OCI spec's `shares` means the same on both versions:
    ///
    ///     weight = 1 + ((shares - 2) * 9999) / 262142
    ///
    /// It maps the ends onto each other (2 → 1, 262144 → 10000) but not the
    /// defaults: 1024 shares → weight 39, not 100. Newer runtimes have moved to
    /// a curve that also maps 1024 → 100; a student comparing hosts sees why.
    public static func weight(fromShares shares: Int64) -> Int64 {
        let clamped = min(max(shares, 2), 262_144)
        return 1 + ((clamped - 2) * 9999) / 262_142
    }

    /// The inverse of `weight(fromShares:)`: v2 cpu.weight → v1 cpu.shares.
    ///
    ///     shares = 2 + ceil(((weight - 1) * 262142) / 9999)
    ///
    /// Rounded up, so that converting back gives the same weight. Weight 100
    /// (v2's default) → 2598 shares; the ratio between two groups, which is all
    /// a weight means, is kept up to rounding.
    public static func shares(fromWeight weight: Int64) -> Int64 {
        let clamped = min(max(weight, 1), 10_000)
        return 2 + ((clamped - 1) * 262_142 + 9998) / 9999
    }

    /// v2 io.weight (1..10000, default 100) → v1 blkio.weight (10..1000, default 500),
    /// the linear map runc uses in the other direction (blkio 10 → 1, 1000 → 10000).
    public static func blkioWeight(fromWeight weight: Int64) -> Int64 {
        let clamped = min(max(weight, 1), 10_000)
        return 10 + ((clamped - 1) * 990) / 9999
    }

    /// A CPU count such as 0.5 → (quota, period) in microseconds: 50000 per 100000.
    /// The period is fixed at 100 ms, the kernel's default, as docker's `--cpus` does.
    public static func quota(forCPUs cpus: Double, period: Int64 = 100_000) -> (quota: Int64, period: Int64) {
        (Int64((cpus * Double(period)).rounded()), period)
    }

    /// A flat keyed file (`usage_usec 1234` per line, as cpu.stat, memory.events,
    /// memory.oom_control, pids.events) as a dictionary. Lines that are not
    /// "key number" are skipped.
    public static func keyedValues(_ text: String) -> [String: Int64] {
        var values: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let number = Int64(fields[1]) else { continue }
            values[String(fields[0])] = number
        }
        return values
    }
}
