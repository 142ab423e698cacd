import SandboxCore

/// A capability set as /proc/PID/status shows it: `CapEff:\t000001ffffffffff`.
///
/// Each bit is one capability, numbered as in <linux/capability.h>. Reading
/// the file needs no library and works for any pid, so a parent can see a
/// child's capabilities from outside (proc_pid_status(5)).
public struct CapabilityMask: Equatable, Sendable, CustomStringConvertible {
    /// The raw bits: bit N set means capability N is in the set.
    public var bits: UInt64

    public init(bits: UInt64) { self.bits = bits }

    /// Parses the hexadecimal value of a `Cap*:` line.
    public init?(hex: String) {
        guard let bits = UInt64(hex.trimmingWhitespace(), radix: 16) else { return nil }
        self.bits = bits
    }

    /// One set (`CapEff`, `CapPrm`, `CapBnd`, ...) of a process, from /proc/PID/status.
    public static func of(pid: String = "self", set: String = "CapEff") throws -> CapabilityMask {
        let path = "/proc/\(pid)/status"
        let text = try ProcFile.read(path)
        guard let value = ProcFile.field(set, in: text), let mask = CapabilityMask(hex: value) else {
            throw CoreError.unexpectedFormat(path: path, detail: "no \(set): line")
        }
        return mask
    }

    /// How many capabilities the set holds.
    public var count: Int { bits.nonzeroBitCount }

    /// Whether capability number `number` is in the set.
    public func contains(_ number: Int) -> Bool { number < 64 && bits & (1 << UInt64(number)) != 0 }

    /// The names of the capabilities in the set, lowest number first.
    public var names: [String] {
        (0..<64).filter { contains($0) }.map { CapabilityMask.name(of: $0) }
    }

    /// The kernel's name for capability `number` (`CAP_SYS_ADMIN` for 21).
    public static func name(of number: Int) -> String {
        number < knownNames.count ? knownNames[number] : "CAP_\(number)"
    }

    /// `000001ffffffffff (41 capabilities)` or `0000000000000000 (none)`.
    public var description: String {
        let hex = String(bits, radix: 16)
        let padded = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        return padded + (count == 0 ? " (none)" : " (\(count) capabilities)")
    }

    /// Capability names by number, as in capabilities(7).
    public static let knownNames = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]
}
