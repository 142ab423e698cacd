import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A device access list enforced on a cgroup v2 directory by a BPF program.
///
/// cgroup v1 had files for this (`devices.allow`, `devices.deny`, `devices.list`).
/// cgroup v2 has none: the kernel instead runs a `BPF_PROG_TYPE_CGROUP_DEVICE`
/// program, attached to the cgroup, on every open(2) and mknod(2) of a device
/// node by a process in it (or in a descendant). The program reads the device's
/// type, major, minor and the access asked for, and returns 1 (allow) or 0
/// (deny: the call fails with EPERM). This is how runc, crun and Docker apply
/// `--device` and `--device-cgroup-rule` on a cgroup v2 host.
///
/// The attachment belongs to the cgroup, not to this object: dropping it only
/// closes our file descriptors, and the program stays attached until `detach()`
/// or until the cgroup is removed. Needs root: CAP_SYS_ADMIN, or (kernel 5.8
/// and later) CAP_BPF together with CAP_NET_ADMIN.
public final class DeviceFilter {
    /// The rules, in the order they are tried.
    public let rules: [DeviceRule]
    /// What happens to an access no rule matches.
    public let defaultAllow: Bool
    /// The cgroup directory the program is attached to.
    public let cgroupPath: String
    /// The program as readable pseudo-assembly lines, for narration and the lab:
    /// `0: r2 = *(u32 *)(r1 +0)  ; access_type`.
    public let listing: [String]
    private let programFD: Int32
    private let cgroupFD: Int32
    private var attached = true

    private init(program: DeviceProgram, cgroupPath: String, programFD: Int32, cgroupFD: Int32) {
        self.rules = program.rules
        self.defaultAllow = program.defaultAllow
        self.listing = program.listing
        self.cgroupPath = cgroupPath
        self.programFD = programFD
        self.cgroupFD = cgroupFD
    }

    deinit {
        // Closing our fds does not detach: the cgroup holds its own reference.
        close(programFD)
        close(cgroupFD)
    }

    /// Generates the program for `rules`, loads it and attaches it to the
    /// cgroup directory at `path`.
    ///
    /// Rules are tried in order and the first that matches decides, as the
    /// kernel's v1 list did; an access no rule matches is allowed when
    /// `defaultAllow`, denied otherwise. Corresponds to bpf(2) with
    /// BPF_PROG_LOAD (type BPF_PROG_TYPE_CGROUP_DEVICE) and BPF_PROG_ATTACH
    /// (type BPF_CGROUP_DEVICE, flag BPF_F_ALLOW_MULTI).
    ///
    /// Why BPF_F_ALLOW_MULTI: attached without flags, a program replaces the
    /// one already attached that way (someone else's, e.g. systemd's for a
    /// unit's DeviceAllow=), and attaching fails with EPERM next to one attached
    /// with MULTI. With MULTI the kernel keeps every program of this cgroup and
    /// of its ancestors, and allows a device access only if each one returns 1:
    /// a nested cgroup can be restricted further, never loosened.
    public static func attach(rules: [DeviceRule], defaultAllow: Bool, toCgroupAt path: String) throws -> DeviceFilter {
        let program = DeviceProgram(rules: rules, defaultAllow: defaultAllow)
        let cgroupFD = try check("open(O_DIRECTORY)", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        let programFD: Int32
        do {
            programFD = try program.load()
        } catch {
            close(cgroupFD)
            throw error
        }
        do {
            try check("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)", path: path) {
                cs_bpf_attach_device_program(programFD, cgroupFD, CS_BPF_F_ALLOW_MULTI)
            }
        } catch {
            close(programFD)
            close(cgroupFD)
            throw error
        }
        return DeviceFilter(program: program, cgroupPath: path, programFD: programFD, cgroupFD: cgroupFD)
    }

    /// Removes the program from the cgroup: from now on only the other
    /// programs (if any) decide. Corresponds to bpf(2) with BPF_PROG_DETACH.
    ///
    /// With BPF_F_ALLOW_MULTI the kernel needs the program fd to know which of
    /// the attached programs to remove; that is why we keep it open.
    public func detach() throws(SyscallError) {
        guard attached else {
            throw SyscallError(
                call: "bpf(BPF_PROG_DETACH) (already detached)", path: cgroupPath, errno: .init(rawValue: ENOENT))
        }
        try check("bpf(BPF_PROG_DETACH, BPF_CGROUP_DEVICE)", path: cgroupPath) {
            cs_bpf_detach_device_program(programFD, cgroupFD)
        }
        attached = false
    }

    /// The ids of the device programs attached directly to the cgroup at
    /// `path` (not those inherited from its ancestors). `bpftool cgroup show PATH`
    /// prints the same list. Corresponds to bpf(2) with BPF_PROG_QUERY.
    public static func attachedPrograms(cgroupAt path: String) throws(SyscallError) -> [UInt32] {
        let cgroupFD = try check("open(O_DIRECTORY)", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(cgroupFD) }
        var ids = [UInt32](repeating: 0, count: 64)
        var count: UInt32 = 0
        try check("bpf(BPF_PROG_QUERY, BPF_CGROUP_DEVICE)", path: path) {
            cs_bpf_query_device_programs(cgroupFD, &ids, UInt32(ids.count), &count)
        }
        return Array(ids.prefix(Int(count)))
    }
}

/// Why a device program could not be loaded.
public enum DeviceFilterError: Error, CustomStringConvertible {
    /// BPF_PROG_LOAD failed; the verifier's log says why (empty if the kernel
    /// refused before verifying, e.g. EPERM without CAP_SYS_ADMIN).
    case programRejected(SyscallError, verifierLog: String)

    /// The failed call, its hint, and the verifier's log when there is one.
    public var description: String {
        switch self {
        case .programRejected(let error, let log):
            let hint = error.hint.map { "\n  hint: " + $0 } ?? ""
            return log.isEmpty ? "\(error)\(hint)" : "\(error)\(hint)\nverifier log:\n\(log)"
        }
    }
}
