import SandboxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A group in the v1 hierarchies: /sys/fs/cgroup/<controller>/sandboxlabs/NAME,
/// one directory per controller, each joined separately.
///
/// Used on v1 hosts and on hybrid ones, whose cgroup2 tree at `unified/` only
/// tracks processes and offers no controllers.
public final class CgroupV1: CgroupManager {
    public let name: String
    public let version = "v1"
    public let root: String
    public let files: CgroupFiles
    /// The hierarchies we make the group in (those mounted, among the ones we use).
    public let hierarchies: [String]
    /// The controllers we use when mounted.
    public static let wanted = ["memory", "cpu", "cpuacct", "cpuset", "pids", "freezer", "blkio", "devices"]

    public init(name: String, root: String, controllers: [String], files: CgroupFiles = CgroupFiles()) {
        self.name = name
        self.root = root
        self.files = files
        self.hierarchies = CgroupV1.wanted.filter(controllers.contains)
    }

    public func parent(_ controller: String) -> String { "\(root)/\(controller)/\(Cgroups.parentName)" }
    public func path(_ controller: String) -> String { parent(controller) + "/" + name }
    public var directories: [String] { hierarchies.map(path) }
    public var exists: Bool { directories.contains(where: Sys.exists) }

    public func createOnce() throws {
        for controller in hierarchies {
            try files.makeDirectory(parent(controller))
            try files.makeDirectory(path(controller))
            // A new cpuset group starts with no CPUs and no memory nodes, and the
            // kernel refuses tasks (ENOSPC) until both are set: copy the parent's.
            if controller == "cpuset" {
                try inheritCpuset(into: parent(controller), from: "\(root)/cpuset")
                try inheritCpuset(into: path(controller), from: parent(controller))
            }
        }
    }

    func inheritCpuset(into dir: String, from source: String) throws {
        for file in ["cpuset.cpus", "cpuset.mems"] where (files.read(dir + "/" + file) ?? "").isEmpty {
            try files.write(dir + "/" + file, files.read(source + "/" + file) ?? "")
        }
    }

    public func apply(_ settings: CgroupSettings) throws {
        let writes =
            MemoryController.v1Writes(settings) + CPUController.v1Writes(settings) + PidsController.writes(settings)
            + IOController.v1Writes(settings) + DevicesController.v1Writes(settings)
        for write in writes {
            guard hierarchies.contains(write.controller), Sys.exists(path(write.controller)) else {
                throw missing(write.controller)
            }
            try files.write(path(write.controller) + "/" + write.file, write.value)
        }
    }

    /// The error for a hierarchy that is not mounted, with the mount that adds it.
    func missing(_ controller: String) -> CgroupError {
        .controllerMissing(
            controller: controller, mode: "v1",
            fix: "no \(controller) hierarchy at \(root)/\(controller): "
                + "mkdir -p \(root)/\(controller) && mount -t cgroup -o \(controller) cgroup \(root)/\(controller)")
    }

    /// Writes the pid into cgroup.procs of every hierarchy: in v1 a process
    /// belongs to one group per hierarchy, independently.
    public func join(pid: pid_t) throws {
        for controller in hierarchies { try files.write(path(controller) + "/cgroup.procs", String(pid)) }
    }

    public func processes() -> [pid_t] {
        Array(Set(hierarchies.flatMap { files.processes(path($0) + "/cgroup.procs") })).sorted()
    }

    public func stats() -> CgroupStats {
        var stats = CgroupStats()
        let read = { (controller: String, file: String) in self.files.read(self.path(controller) + "/" + file) }
        MemoryController.v1Stats(into: &stats) { read("memory", $0) }
        CPUController.v1Stats(into: &stats, read: read)
        PidsController.stats(into: &stats) { read("pids", $0) }
        stats.frozen = read("freezer", "freezer.state").map { $0 == "FROZEN" }
        return stats
    }

    /// freezer.state = FROZEN, then wait: it reads FREEZING until every task stopped.
    public func freeze() throws {
        guard hierarchies.contains("freezer") else { throw missing("freezer") }
        try files.write(path("freezer") + "/freezer.state", "FROZEN")
        let frozen = waitUntil(seconds: 10) { self.stats().frozen == true }
        if !frozen { throw CgroupError.timedOut("\(path("freezer"))/freezer.state never said FROZEN") }
    }

    public func thaw() throws {
        guard hierarchies.contains("freezer") else { throw missing("freezer") }
        try files.write(path("freezer") + "/freezer.state", "THAWED")
    }

    /// v1 has no cgroup.kill. Freeze first, so nothing forks between reading
    /// cgroup.procs and the kill (runc does the same), kill each pid, thaw so
    /// the SIGKILLs are delivered, repeat until the group is empty.
    public func kill() throws {
        let canFreeze = hierarchies.contains("freezer") && Sys.exists(path("freezer"))
        for _ in 0..<20 {
            let pids = processes()
            if pids.isEmpty { return }
            if canFreeze { try? freeze() }
            for pid in pids { try? files.kill(pid) }
            if canFreeze { try? thaw() }
            if waitUntil(seconds: 1, { self.processes().isEmpty }) { return }
        }
    }

    public func delete() throws {
        if !processes().isEmpty { try kill() }
        var firstError: Error?
        for controller in hierarchies {
            do {
                if Sys.exists(path(controller)) { try files.removeDirectory(path(controller)) }
            } catch {
                firstError = firstError ?? error
            }
            let parent = parent(controller)
            if Sys.exists(parent), Cgroups.subdirectories(parent).isEmpty {
                try? files.removeDirectory(parent, attempts: 5)
            }
        }
        if let firstError { throw firstError }
    }
}
