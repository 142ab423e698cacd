import SandboxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A group in the unified (v2) hierarchy: /sys/fs/cgroup/sandboxlabs/NAME.
///
/// One directory holds every controller's files. A controller's files appear
/// in a group only when its parent lists the controller in
/// `cgroup.subtree_control`, so `create()` enables them top-down in every
/// ancestor, and never in the leaf: v2's "no internal processes" rule forbids
/// a group that has processes from also handing controllers to children.
public final class CgroupV2: CgroupManager {
    public let name: String
    public let version = "v2"
    public let root: String
    public let files: CgroupFiles
    /// The controllers we use when the host offers them.
    public static let wanted = ["cpuset", "cpu", "io", "memory", "pids"]

    public var parent: String { root + "/" + Cgroups.parentName }
    public var path: String { parent + "/" + name }
    public var directories: [String] { [path] }
    public var exists: Bool { Sys.exists(path) }

    public init(name: String, root: String = "/sys/fs/cgroup", files: CgroupFiles = CgroupFiles()) {
        self.name = name
        self.root = root
        self.files = files
    }

    public func createOnce() throws {
        let available = words(root + "/cgroup.controllers")
        let enable = CgroupV2.wanted.filter(available.contains)
        try enableControllers(enable, in: root)
        try files.makeDirectory(parent)
        try enableControllers(enable, in: parent)
        try files.makeDirectory(path)
    }

    /// Writes `+ctrl` for each controller not yet in `dir`'s cgroup.subtree_control.
    func enableControllers(_ controllers: [String], in dir: String) throws {
        let enabled = words(dir + "/cgroup.subtree_control")
        let missing = controllers.filter { !enabled.contains($0) }
        if missing.isEmpty { return }
        try files.write(dir + "/cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " "))
    }

    public func apply(_ settings: CgroupSettings) throws {
        let writes =
            MemoryController.v2Writes(settings) + CPUController.v2Writes(settings) + PidsController.writes(settings)
            + IOController.v2Writes(settings)
        let available = words(path + "/cgroup.controllers")
        for write in writes {
            guard available.contains(write.controller) else { throw missing(write.controller) }
            try files.write(path + "/" + write.file, write.value)
        }
        if !settings.devices.isEmpty { try applyDevices(settings.devices) }
    }

    /// The error for a controller the leaf does not have, naming the file to fix.
    func missing(_ controller: String) -> CgroupError {
        let atRoot = words(root + "/cgroup.controllers").contains(controller)
        let fix =
            atRoot
            ? "it is not enabled for \(parent): echo +\(controller) > \(root)/cgroup.subtree_control; "
                + "echo +\(controller) > \(parent)/cgroup.subtree_control"
            : "the kernel does not offer it in \(root)/cgroup.controllers (not built in, or disabled with "
                + "cgroup_disable=\(controller) on the kernel command line)"
        return .controllerMissing(controller: controller, mode: "v2", fix: fix)
    }

    public func join(pid: pid_t) throws {
        try files.write(path + "/cgroup.procs", String(pid))
    }

    public func processes() -> [pid_t] { files.processes(path + "/cgroup.procs") }

    public func stats() -> CgroupStats {
        var stats = CgroupStats()
        let read = { (file: String) in self.files.read(self.path + "/" + file) }
        MemoryController.v2Stats(into: &stats, read: read)
        CPUController.v2Stats(into: &stats, read: read)
        PidsController.stats(into: &stats, read: read)
        stats.frozen = read("cgroup.events").map(CgroupValues.keyedValues)?["frozen"].map { $0 == 1 }
        return stats
    }

    /// cgroup.freeze = 1, then wait for `frozen 1` in cgroup.events: the kernel
    /// stops the tasks asynchronously, at their next return to user space.
    public func freeze() throws {
        try files.write(path + "/cgroup.freeze", "1")
        let frozen = waitUntil(seconds: 10) { self.stats().frozen == true }
        if !frozen { throw CgroupError.timedOut("\(path)/cgroup.events never said frozen 1") }
    }

    public func thaw() throws {
        try files.write(path + "/cgroup.freeze", "0")
    }

    /// cgroup.kill (5.14+) kills every task at once, also ones forking right now;
    /// older kernels get a kill(2) per pid, repeated until the group is empty.
    public func kill() throws {
        if Sys.exists(path + "/cgroup.kill") {
            try files.write(path + "/cgroup.kill", "1")
        } else {
            for _ in 0..<50 {
                let pids = processes()
                if pids.isEmpty { break }
                for pid in pids { try? files.kill(pid) }
            }
        }
        _ = waitUntil(seconds: 5) { self.processes().isEmpty }
    }

    public func delete() throws {
        if exists {
            if !processes().isEmpty { try kill() }
            try files.removeDirectory(path)
        }
        // The parent goes too once it is empty; another group of ours keeps it.
        if Sys.exists(parent), Cgroups.subdirectories(parent).isEmpty {
            try? files.removeDirectory(parent, attempts: 5)
        }
    }

    /// v2 has no devices.* files: access is decided by a BPF program attached to
    /// the group (BPF_PROG_TYPE_CGROUP_DEVICE), see DeviceFilter.swift.
    func applyDevices(_ rules: [DeviceRule]) throws {
        let call = "bpf(BPF_PROG_LOAD+BPF_PROG_ATTACH, CGROUP_DEVICE) \(path)"
        try
            (files.narrator?.step(call, detail: rules.map(\.summary).joined(separator: ", ")) {
                try attachDeviceFilter(rules)
            } ?? attachDeviceFilter(rules))
    }

    func words(_ file: String) -> [String] {
        (files.read(file) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}

extension CgroupV2 {
    /// Attaches the device program DeviceFilter generates: rules tried in order, anything else
    /// allowed, like a fresh v1 group whose list starts as `a *:* rwm`. The
    /// program stays attached to the group until the group is removed.
    func attachDeviceFilter(_ rules: [DeviceRule]) throws {
        _ = try DeviceFilter.attach(rules: rules, defaultAllow: true, toCgroupAt: path)
    }
}
