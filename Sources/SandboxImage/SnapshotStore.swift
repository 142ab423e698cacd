import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Unpacked layers, one directory each, named by the layer's uncompressed digest.
///
///     STORE/snapshots/sha256/<diff_id>/    one layer in overlay form: an overlayfs lowerdir
///     STORE/snapshots/.building-XXXXXX/    a snapshot being made (renamed into place when complete)
///     STORE/containers/<name>/upper, work  a container's writable layer
///
/// A layer is unpacked once: a second container from the same image, or an
/// image sharing its base layers, finds the snapshots there and only mounts
/// them (the idea of containerd's overlayfs snapshotter). The name is the
/// diff_id the applier checked while unpacking, so a snapshot's name is a
/// promise about its content; a snapshot whose layer failed its digest is
/// never renamed into place.
public struct SnapshotStore: Sendable {
    public let path: String

    /// Opens a store directory, creating it (0700) and its missing parents (0755).
    public init(path: String) throws {
        self.path = path
        var parent = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/").dropLast() {
            parent += "/" + component
            if !Sys.exists(parent) { try Sys.mkdir(parent, mode: 0o755) }
        }
        for directory in [path, path + "/snapshots", path + "/snapshots/sha256", path + "/containers"]
        where !Sys.exists(directory) {
            try Sys.mkdir(directory, mode: 0o700)
        }
    }

    /// The directory of a layer's snapshot.
    public func snapshot(_ diffID: Digest) -> String { path + "/snapshots/sha256/" + diffID.hex }

    /// True if the layer is already unpacked.
    public func has(_ diffID: Digest) -> Bool { Sys.exists(snapshot(diffID)) }

    /// Unpacks `layer` into its snapshot unless it is there; returns nil when
    /// it was (nothing read), else what applying it did.
    public func prepare(
        _ layer: LayerSource, planner: @escaping EntryPlanner, limits: ApplyLimits,
        progress: ((Int64, Int64) -> Void)? = nil
    ) throws -> LayerReport? {
        guard let diffID = layer.diffID else {
            throw ImageError.unreadableLayer(index: layer.index, reason: "no diff_id to name its snapshot by")
        }
        if has(diffID) { return nil }
        // Without root a snapshot would lose its owners, device nodes and whiteouts,
        // and still carry the diff_id's name: refuse before writing anything.
        guard LayerApplier.fullyPrivileged() else { throw LayerError.snapshotNeedsRoot }
        let building = try Sys.makeTemporaryDirectory(path + "/snapshots/.building-")
        do {
            // The root's mode shows through overlay as the container's "/" if
            // no layer says otherwise: 0755, not mkdtemp's 0700.
            try check("chmod", path: building) { chmod(building, 0o755) }
            let root = try RootDirectory(path: building)
            let applier = LayerApplier(root: root, mode: .overlay, planner: planner, limits: limits)
            let report = try applier.apply(try LayerReader(layer), progress: progress)
            if rename(building, snapshot(diffID)) != 0 {
                let code = errno
                // Another sb-image made the same snapshot meanwhile: keep theirs.
                guard (code == EEXIST || code == ENOTEMPTY) && has(diffID) else {
                    throw SyscallError(call: "rename", path: building, errno: .init(rawValue: code))
                }
                ArchiveCopy.removeTree(building)
            }
            return report
        } catch {
            ArchiveCopy.removeTree(building)
            throw error
        }
    }

    /// A container's writable layer: `upper` and `work`, made empty.
    public func containerDirectories(_ name: String) throws -> (upper: String, work: String) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw ImageError.notAnImage(name, reason: "a container name must be one file name")
        }
        let base = path + "/containers/" + name
        if Sys.exists(base) { throw SyscallError(call: "mkdir", path: base, errno: .init(rawValue: EEXIST)) }
        try Sys.mkdir(base, mode: 0o700)
        try Sys.mkdir(base + "/upper", mode: 0o755)
        try Sys.mkdir(base + "/work", mode: 0o700)
        return (base + "/upper", base + "/work")
    }

    /// True if a container of that name has a writable layer here.
    public func hasContainer(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".." && Sys.exists(path + "/containers/" + name)
    }

    /// Removes a container's writable layer.
    public func removeContainer(_ name: String) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { return }
        ArchiveCopy.removeTree(path + "/containers/" + name)
    }
}
