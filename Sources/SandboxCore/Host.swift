import CSandbox

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Facts about this host that decide whether a lab can run here.
///
/// Each one is read from the place the kernel publishes it, so a student can
/// check it by hand (`cat /proc/sys/user/max_user_namespaces`).
public enum Host {
    /// The kernel release, e.g. `6.1.0-26-amd64`.
    public static var kernelRelease: String { Sys.uname().release }

    /// The kernel version as numbers (major, minor, patch) parsed from the release.
    public static var kernelVersion: KernelVersion { KernelVersion(release: kernelRelease) }

    /// The cgroup hierarchy this host runs.
    public static var cgroupMode: CgroupMode { CgroupMode.detect() }

    /// Whether we are root (effective uid 0) in our user namespace.
    public static var isRoot: Bool { geteuid() == 0 }

    /// How the root mount propagates, from the `/` line of /proc/self/mountinfo.
    public static var rootPropagation: MountPropagation {
        guard let text = try? ProcFile.read("/proc/self/mountinfo") else { return .unknown }
        return MountPropagation.ofRoot(mountinfo: text)
    }

    /// /proc/sys/user/max_user_namespaces: 0 disables user namespaces for everyone.
    public static var maxUserNamespaces: Int? { readInt("/proc/sys/user/max_user_namespaces") }

    /// Debian's and older Ubuntu's switch for unprivileged user namespaces (absent elsewhere).
    public static var unprivilegedUserNamespacesClone: Int? { readInt("/proc/sys/kernel/unprivileged_userns_clone") }

    /// Ubuntu 23.10+'s AppArmor restriction: 1 means unprivileged processes get
    /// a user namespace without capabilities unless an AppArmor profile allows it.
    public static var apparmorRestrictsUserNamespaces: Int? {
        readInt("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
    }

    /// Whether the kernel knows overlayfs now (it may also load as a module on first mount).
    public static var overlaySupported: Bool {
        guard let text = try? ProcFile.read("/proc/filesystems") else { return false }
        return text.split(separator: "\n").contains { $0.hasSuffix("\toverlay") }
    }

    /// Whether a kernel module for overlay exists on disk, so a mount would load it.
    public static var overlayModuleAvailable: Bool {
        let release = kernelRelease
        return ["/lib/modules/\(release)/kernel/fs/overlayfs", "/usr/lib/modules/\(release)/kernel/fs/overlayfs"]
            .contains { Sys.exists($0) }
    }

    /// Whether time namespaces exist (Linux 5.6+): /proc/self/ns/time is there.
    public static var timeNamespaceSupported: Bool { Sys.exists("/proc/self/ns/time") }

    /// Whether this process runs inside a container, and which hint gave it away.
    public static var container: String? {
        if let value = Sys.getenv("container"), !value.isEmpty { return "\(value): $container is set" }
        if Sys.exists("/.dockerenv") { return "docker: /.dockerenv exists" }
        if Sys.exists("/run/.containerenv") { return "podman: /run/.containerenv exists" }
        if let env = try? ProcFile.read("/proc/1/environ"),
            env.split(separator: "\0").contains(where: { $0.hasPrefix("container=") })
        {
            return "container (PID 1's environment says so)"
        }
        if Sys.exists("/proc/vz") && !Sys.exists("/proc/bc") { return "openvz" }
        return nil
    }

    /// Whether a path is a WSL kernel (Microsoft in the release string).
    public static var isWSL: Bool { kernelRelease.lowercased().contains("microsoft") }

    private static func readInt(_ path: String) -> Int? {
        ProcFile.readTrimmed(path).flatMap { Int($0) }
    }
}

/// A kernel version, comparable, from a release string like `6.1.0-26-amd64`.
public struct KernelVersion: Comparable, Sendable, CustomStringConvertible {
    public var major: Int, minor: Int, patch: Int

    public init(major: Int, minor: Int, patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    public init(release: String) {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(3).map { Int($0) ?? 0 }
        self.init(
            major: numbers.first ?? 0, minor: numbers.dropFirst().first ?? 0, patch: numbers.dropFirst(2).first ?? 0)
    }

    public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}

/// Mount propagation of a mount point, from the optional fields of mountinfo.
public enum MountPropagation: String, Sendable {
    case shared, slave, `private`, unknown

    /// The propagation of the `/` mount in a /proc/PID/mountinfo text.
    ///
    /// Field 5 is the mount point; optional fields (`shared:N`, `master:N`)
    /// follow field 6 and end at a lone `-`. The last `/` line wins: it is
    /// the mount on top.
    public static func ofRoot(mountinfo: String) -> MountPropagation {
        var result = MountPropagation.unknown
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 6, fields[4] == "/" else { continue }
            let optional = fields.dropFirst(6).prefix { $0 != "-" }
            if optional.contains(where: { $0.hasPrefix("shared:") }) {
                result = .shared
            } else if optional.contains(where: { $0.hasPrefix("master:") }) {
                result = .slave
            } else {
                result = .private
            }
        }
        return result
    }
}
