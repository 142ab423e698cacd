import SandboxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One cgroup of ours, on whichever cgroup version the host runs.
///
/// The vocabulary is the same on both (`apply(memoryMax: 64M)`, `freeze()`,
/// `stats()`); `CgroupV2` and `CgroupV1` map it onto their files. Every group
/// lives under a parent named `sandboxlabs`, so our groups never mix with the
/// host's and one glance (`sb-cgroup tree`) shows what we left behind.
public protocol CgroupManager: AnyObject {
    /// The group's name under `sandboxlabs`.
    var name: String { get }
    /// `v2` or `v1` (a hybrid host uses the v1 hierarchies for its controllers).
    var version: String { get }
    /// The group's directories: one on v2, one per hierarchy on v1.
    var directories: [String] { get }
    /// Whether the group's directories exist.
    var exists: Bool { get }

    /// Makes the group (and the `sandboxlabs` parent), enabling controllers where needed.
    func create() throws
    /// One attempt at `create()`: make the directories and enable the controllers.
    func createOnce() throws
    /// Writes the settings into the group's files.
    func apply(_ settings: CgroupSettings) throws
    /// Moves a process (all its threads) into the group: cgroup.procs.
    func join(pid: pid_t) throws
    /// The pids in the group.
    func processes() -> [pid_t]
    /// What the group used so far.
    func stats() -> CgroupStats
    /// Stops every task in the group, and waits until they are stopped.
    func freeze() throws
    /// Lets the tasks run again.
    func thaw() throws
    /// Kills every task in the group.
    func kill() throws
    /// Kills what is left, removes the group, and the `sandboxlabs` parent if it is empty.
    func delete() throws
}

extension CgroupManager {
    /// Makes the group (and the `sandboxlabs` parent it lives in).
    ///
    /// Another run may remove the empty `sandboxlabs` parent between our two
    /// mkdirs (every run removes it when it is empty): then make it again.
    public func create() throws {
        for attempt in 1...3 {
            do {
                return try createOnce()
            } catch let error as SyscallError where error.errno == .noSuchFileOrDirectory && attempt < 3 {
                continue
            }
        }
    }
}

/// Making managers and looking at what exists.
public enum Cgroups {
    /// The parent of every group this project makes.
    public static let parentName = "sandboxlabs"

    /// A manager for the group `name` on this host's cgroup version: v2 on a pure
    /// v2 host, v1 on a v1 or hybrid host (hybrid's v2 tree has no controllers).
    public static func manager(
        name: String, mode: CgroupMode = .detect(), root: String = "/sys/fs/cgroup",
        files: CgroupFiles = CgroupFiles()
    ) throws -> any CgroupManager {
        try validate(name: name)
        switch mode {
        case .v2: return CgroupV2(name: name, root: root, files: files)
        case .v1(let controllers), .hybrid(let controllers):
            return CgroupV1(name: name, root: root, controllers: controllers, files: files)
        case .none: throw CgroupError.noCgroupFilesystem(root: root)
        }
    }

    /// A name is one harmless path component: it must not leave `sandboxlabs`.
    public static func validate(name: String) throws(CgroupError) {
        let allowed = name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        if name.isEmpty || name == "." || name == ".." || !allowed || name.utf8.count > 200 {
            throw CgroupError.invalidName(name)
        }
    }

    /// The group names under the `sandboxlabs` parent(s), sorted, without duplicates.
    public static func existingGroups(mode: CgroupMode = .detect(), root: String = "/sys/fs/cgroup") -> [String] {
        let parents: [String] =
            switch mode {
            case .v2: [root + "/" + parentName]
            case .v1(let controllers), .hybrid(let controllers): controllers.map { "\(root)/\($0)/\(parentName)" }
            case .none: []
            }
        return Array(Set(parents.flatMap(subdirectories))).sorted()
    }

    /// The subdirectory names of `path` (empty if it does not exist).
    static func subdirectories(_ path: String) -> [String] {
        guard let handle = opendir(path) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if entry.pointee.d_type == UInt8(DT_DIR), name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// Where a process sits: `/proc/PID/cgroup` lines as (hierarchy id, controllers, path).
    public static func membership(pid: String) -> [(id: String, controllers: String, path: String)] {
        let text = ProcFile.readTrimmed("/proc/\(pid)/cgroup") ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            return (String(parts[0]), String(parts[1]), String(parts[2]))
        }
    }
}
