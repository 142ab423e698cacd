import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// The kernel filesystems every container gets after its root switch: /proc,
/// a read-only /sys, and a small /dev of its own.
///
/// The options follow what runc's default spec asks for. Each function takes
/// a `step` so a demo can narrate every call with its real arguments.
public enum ContainerFilesystems {
    /// Narrates and runs one call; the default just runs it.
    public typealias Step = (String, () throws -> Void) throws -> Void

    /// One character device of the standard /dev: name, major, minor.
    public struct Device: Sendable, Equatable {
        public var name: String
        public var major: UInt32
        public var minor: UInt32
    }

    /// The devices every container may use (the OCI runtime spec's default list).
    ///
    /// Not the host's /dev: no disks, no /dev/mem, no /dev/kmsg. A process that
    /// could open the host's block devices could read any file on them.
    public static let devices: [Device] = [
        Device(name: "null", major: 1, minor: 3), Device(name: "zero", major: 1, minor: 5),
        Device(name: "full", major: 1, minor: 7), Device(name: "random", major: 1, minor: 8),
        Device(name: "urandom", major: 1, minor: 9), Device(name: "tty", major: 5, minor: 0),
    ]

    /// The standard symbolic links in /dev, name and target.
    public static let links: [(name: String, target: String)] = [
        ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx"),
    ]

    /// Every name a container's /dev holds after `mountDev`, sorted.
    public static var devEntries: [String] { (devices.map(\.name) + links.map(\.name) + ["pts"]).sorted() }

    /// Mounts a new proc instance at `path` (normally "/proc").
    ///
    /// Without a new PID namespace it still lists the host's processes: the
    /// mount namespace decides where /proc is, not what it shows (lab 04).
    public static func mountProc(at path: String = "/proc", step: Step = { _, body in try body() }) throws {
        let flags: MountFlags = [.noSuid, .noDev, .noExec]
        try step(Mounts.describe(source: "proc", target: path, type: "proc", flags: flags, data: nil)) {
            try Mounts.mount(source: "proc", target: path, type: "proc", flags: flags)
        }
    }

    /// Mounts sysfs read-only at `path` (normally "/sys").
    ///
    /// Read-only because /sys has knobs that act on the whole machine
    /// (/sys/kernel, /sys/power, device rebinding); a container may read them.
    public static func mountSys(at path: String = "/sys", step: Step = { _, body in try body() }) throws {
        let flags: MountFlags = [.readOnly, .noSuid, .noDev, .noExec]
        try step(Mounts.describe(source: "sysfs", target: path, type: "sysfs", flags: flags, data: nil)) {
            try Mounts.mount(source: "sysfs", target: path, type: "sysfs", flags: flags)
        }
    }

    /// Builds a fresh /dev at `path`: a tmpfs, the standard devices made with
    /// mknod(2), the standard links, and a private devpts instance at pts.
    ///
    /// mknod, not bind mounts of the host's nodes: as real root we may create
    /// device nodes (runc does the same), and each node is then a plain file
    /// of our tmpfs, not one more mount. In a user namespace mknod is refused
    /// and runtimes bind-mount the host's nodes instead (lab 06).
    public static func mountDev(at path: String = "/dev", step: Step = { _, body in try body() }) throws {
        let flags: MountFlags = [.noSuid]
        let data = "mode=755,size=65536k"
        try step(Mounts.describe(source: "tmpfs", target: path, type: "tmpfs", flags: flags, data: data)) {
            try Mounts.mount(source: "tmpfs", target: path, type: "tmpfs", flags: flags, data: data)
        }
        for device in devices {
            let node = path + "/" + device.name
            try step("mknod(\"\(node)\", S_IFCHR|0666, makedev(\(device.major), \(device.minor)))") {
                try makeCharacterDevice(node, major: device.major, minor: device.minor)
            }
        }
        for link in links {
            try step("symlink(\"\(link.target)\", \"\(path)/\(link.name)\")") {
                try check("symlink", path: path + "/" + link.name) { symlink(link.target, path + "/" + link.name) }
            }
        }
        try mountPts(at: path + "/pts", step: step)
    }

    /// A devpts instance of our own: `newinstance` keeps the host's ptys out of
    /// sight, `ptmxmode=0666` lets any user open /dev/ptmx (through the link).
    static func mountPts(at path: String, step: Step) throws {
        let flags: MountFlags = [.noSuid, .noExec]
        let data = "newinstance,ptmxmode=0666,mode=0620"
        try step("mkdir(\"\(path)\", 0755)") { try Sys.mkdir(path, mode: 0o755) }
        try step(Mounts.describe(source: "devpts", target: path, type: "devpts", flags: flags, data: data)) {
            try Mounts.mount(source: "devpts", target: path, type: "devpts", flags: flags, data: data)
        }
    }

    /// Creates a character device node with mode 0666, whatever the umask.
    /// Corresponds to mknod(2) and chmod(2).
    public static func makeCharacterDevice(_ path: String, major: UInt32, minor: UInt32) throws(SyscallError) {
        try check("mknod", path: path) { mknod(path, S_IFCHR | 0o666, deviceNumber(major: major, minor: minor)) }
        // mknod applies the umask (0022 would leave 0644); the mode must not depend on it.
        try check("chmod", path: path) { chmod(path, 0o666) }
    }

    /// makedev(3), which Swift does not import (it is a macro): the kernel's
    /// dev_t keeps the low 8 bits of the minor, then 12 bits of major, then the rest.
    public static func deviceNumber(major: UInt32, minor: UInt32) -> dev_t {
        let major = UInt64(major)
        let minor = UInt64(minor)
        let low = (minor & 0xff) | ((major & 0xfff) << 8)
        return dev_t(low | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32))
    }

    /// The major and minor of a dev_t (major(3), minor(3)).
    public static func split(_ device: UInt64) -> (major: UInt32, minor: UInt32) {
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        return (UInt32(truncatingIfNeeded: major), UInt32(truncatingIfNeeded: minor))
    }
}
