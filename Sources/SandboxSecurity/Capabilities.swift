import CCap
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// The Linux capabilities the labs talk about, with the kernel's numbers.
///
/// Root's power is split into about 40 capabilities (capabilities(7)); a
/// container keeps a few and drops the rest.
public enum Capability: String, CaseIterable, Sendable {
    case chown = "CAP_CHOWN"
    case dacOverride = "CAP_DAC_OVERRIDE"
    case kill = "CAP_KILL"
    case setgid = "CAP_SETGID"
    case setuid = "CAP_SETUID"
    case netAdmin = "CAP_NET_ADMIN"
    case sysChroot = "CAP_SYS_CHROOT"
    case sysPtrace = "CAP_SYS_PTRACE"
    case sysAdmin = "CAP_SYS_ADMIN"
    case mknod = "CAP_MKNOD"

    /// The number libcap and the kernel use for it.
    public var value: cap_value_t {
        switch self {
        case .chown: cap_value_t(CAP_CHOWN)
        case .dacOverride: cap_value_t(CAP_DAC_OVERRIDE)
        case .kill: cap_value_t(CAP_KILL)
        case .setgid: cap_value_t(CAP_SETGID)
        case .setuid: cap_value_t(CAP_SETUID)
        case .netAdmin: cap_value_t(CAP_NET_ADMIN)
        case .sysChroot: cap_value_t(CAP_SYS_CHROOT)
        case .sysPtrace: cap_value_t(CAP_SYS_PTRACE)
        case .sysAdmin: cap_value_t(CAP_SYS_ADMIN)
        case .mknod: cap_value_t(CAP_MKNOD)
        }
    }
}

/// The capability sets of this process, read once with libcap.
public struct CapabilitySets: Sendable {
    private let effective: Set<String>
    /// libcap's text form, e.g. `=ep` (everything) or `cap_sys_chroot+ep`.
    public let text: String

    /// Reads the calling thread's sets. Corresponds to cap_get_proc(3) (capget(2)).
    public static func current() throws(SyscallError) -> CapabilitySets {
        guard let caps = cap_get_proc() else {
            throw SyscallError(call: "cap_get_proc", errno: .init(rawValue: errno))
        }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        var effective: Set<String> = []
        for capability in Capability.allCases {
            var flag = CAP_CLEAR
            if cap_get_flag(caps, capability.value, CAP_EFFECTIVE, &flag) == 0, flag == CAP_SET {
                effective.insert(capability.rawValue)
            }
        }
        var text = "?"
        if let raw = cap_to_text(caps, nil) {
            text = String(cString: raw)
            cap_free(UnsafeMutableRawPointer(raw))
        }
        return CapabilitySets(effective: effective, text: text)
    }

    /// Whether the capability is in the effective set: the one the kernel checks.
    public func hasEffective(_ capability: Capability) -> Bool { effective.contains(capability.rawValue) }
}
