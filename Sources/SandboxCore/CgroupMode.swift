import CSandbox

/// Which cgroup hierarchy a host runs, as the kernel reports it.
public enum CgroupMode: Equatable, Sendable, CustomStringConvertible {
    /// Pure cgroup v2: one hierarchy at /sys/fs/cgroup. Controllers are those
    /// in its `cgroup.controllers`.
    case v2(controllers: [String])
    /// v1 controllers at /sys/fs/cgroup/<controller>, plus a cgroup2 mount at
    /// /sys/fs/cgroup/unified that only tracks processes.
    case hybrid(v1Controllers: [String])
    /// Only v1 hierarchies.
    case v1(controllers: [String])
    /// No cgroup filesystem where we looked.
    case none

    public var description: String {
        switch self {
        case .v2(let controllers): "v2 (controllers: \(controllers.joined(separator: " ")))"
        case .hybrid(let controllers): "hybrid (v1 controllers: \(controllers.joined(separator: " ")); v2 at unified/)"
        case .v1(let controllers): "v1 (controllers: \(controllers.joined(separator: " ")))"
        case .none: "none (no cgroup filesystem mounted)"
        }
    }

    /// Short name: v2, hybrid, v1 or none.
    public var name: String {
        switch self {
        case .v2: "v2"
        case .hybrid: "hybrid"
        case .v1: "v1"
        case .none: "none"
        }
    }

    /// Detects the mode the way runc and systemd do: by the filesystem type
    /// of the cgroup root, not by guessing from directory names.
    ///
    /// - `root` is `/sys/fs/cgroup` on a real host, a fixture tree in tests.
    /// - `filesystemType` returns statfs(2)'s `f_type` for a path, or nil.
    public static func detect(
        root: String = "/sys/fs/cgroup",
        filesystemType: (String) -> Int? = CgroupMode.statfsType
    ) -> CgroupMode {
        guard let rootType = filesystemType(root) else { return .none }
        if rootType == Int(CS_CGROUP2_SUPER_MAGIC) {
            let text = ProcFile.readTrimmed(root + "/cgroup.controllers") ?? ""
            return .v2(controllers: text.split(separator: " ").map(String.init))
        }
        let controllers = v1Controllers(root: root, filesystemType: filesystemType)
        if rootType == Int(CS_TMPFS_MAGIC), filesystemType(root + "/unified") == Int(CS_CGROUP2_SUPER_MAGIC) {
            return .hybrid(v1Controllers: controllers)
        }
        return controllers.isEmpty ? .none : .v1(controllers: controllers)
    }

    /// The v1 controllers mounted under `root`: the entries whose filesystem is cgroup (v1).
    static func v1Controllers(root: String, filesystemType: (String) -> Int?) -> [String] {
        let known = [
            "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb", "memory",
            "net_cls", "net_prio", "perf_event", "pids", "rdma", "misc",
        ]
        return known.filter { filesystemType(root + "/" + $0) == Int(CS_CGROUP_SUPER_MAGIC) }
    }

    /// statfs(2)'s filesystem type for a path, or nil if it cannot be read.
    public static func statfsType(_ path: String) -> Int? {
        var type = 0
        return cs_statfs_type(path, &type) == 0 ? type : nil
    }
}
