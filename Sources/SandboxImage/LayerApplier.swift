import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Applies layers to a root directory, one tar entry at a time, deciding every write itself.
///
/// libarchive only *reads*; nothing is extracted by libarchive. For each
/// entry the planner gives a `RelativePath` (no "..", checked again by its
/// type), the parent is opened inside the root (`RootDirectory`), and the last
/// component is created with *at() calls that never follow a symlink. The
/// order of metadata calls matters: chown before chmod (chown clears setuid
/// and setgid), and directory modes and times are set after the layer's last
/// entry, children first, so writing a child neither fails in a read-only
/// directory nor moves its parent's mtime.
public final class LayerApplier {
    public let root: RootDirectory
    public let mode: ApplyMode
    public let limits: ApplyLimits
    /// Root may chown, make device nodes and set trusted.* and security.* xattrs.
    public let privileged: Bool
    private let planner: EntryPlanner
    private var totalBytes: Int64 = 0

    /// Per layer: paths this layer wrote (whiteouts and opaque markers hide only
    /// what lower layers made, image-spec layer.md) and directories to finish.
    var written = Set<RelativePath>()
    var directories: [(path: RelativePath, entry: LayerEntry)] = []
    var report = LayerReport(index: 0)
    var ownershipNoted = false
    /// The process's umask, read once: the bits openat's mode loses.
    private let creationMask: UInt32 = {
        let mask = umask(0o022)
        umask(mask)
        return UInt32(mask)
    }()

    public init(
        root: RootDirectory, mode: ApplyMode, planner: @escaping EntryPlanner,
        limits: ApplyLimits = ApplyLimits(), privileged: Bool = LayerApplier.fullyPrivileged()
    ) {
        self.root = root
        self.mode = mode
        self.planner = planner
        self.limits = limits
        self.privileged = privileged
    }

    /// Root of the initial user namespace: the only place every owner can be
    /// set and device nodes made. Root in a user namespace (`unshare -r`) maps
    /// only some ids and may not mknod, so it is treated like any other user.
    public static func fullyPrivileged() -> Bool {
        guard geteuid() == 0, let map = try? ProcFile.read("/proc/self/uid_map") else { return false }
        return map.split(whereSeparator: \.isWhitespace) == ["0", "0", "4294967295"]
    }

    /// Applies every entry of `reader`, then checks its digests.
    /// `progress` is called now and then with (bytes read, blob size).
    public func apply(_ reader: LayerReader, progress: ((Int64, Int64) -> Void)? = nil) throws -> LayerReport {
        written.removeAll(keepingCapacity: true)
        directories.removeAll()
        report = LayerReport(index: reader.source.index)
        while let entry = try reader.next() {
            report.entries += 1
            if report.entries > limits.maxEntries { throw LayerError.tooManyEntries(limit: limits.maxEntries) }
            // Set only if the program called cs_catch_interrupts(): stop between two entries.
            let signal = cs_interrupted()
            if signal != 0 { throw LayerError.interrupted(signal: signal) }
            try apply(entry, from: reader)
            if report.entries % 256 == 0, let progress { progress(reader.progress.done, reader.progress.total) }
        }
        try finishDirectories()
        report.digests = try reader.finish()
        progress?(reader.progress.done, reader.progress.total)
        return report
    }

    private func apply(_ entry: LayerEntry, from reader: LayerReader) throws {
        switch try planner(entry.name) {
        case .ignore(let reason):
            report.skipped.append("\(entry.name): \(reason)")
        case .whiteout(let path):
            report.whiteouts += 1
            try whiteout(path, entry: entry.name)
        case .opaque(let path):
            report.opaques += 1
            try opaque(path, entry: entry.name)
        case .write(let path):
            try write(entry, at: path, from: reader)
            markWritten(path)
        }
    }

    func markWritten(_ path: RelativePath) {
        var path = path
        while written.insert(path).inserted && !path.isRoot { path = path.parent }
    }

    // MARK: Writing one entry

    private func write(_ entry: LayerEntry, at path: RelativePath, from reader: LayerReader) throws {
        if path.isRoot {
            guard entry.kind == .directory else { throw LayerError.replacesRoot(entry.name, type: entry.kind.rawValue) }
            directories.append((path, entry))
            return
        }
        let parent = try root.directory(path.parent, create: true, entry: entry.name)
        // Create first and look only when the name is taken (EEXIST): most
        // entries are new, and this saves an fstatat for each of them.
        do {
            try create(entry, at: path, in: parent, from: reader)
            return
        } catch let error as SyscallError where error.errno.rawValue == EEXIST {
            let existing = try root.status(path.name, in: parent)
            if entry.kind == .directory, let existing, (existing.st_mode & S_IFMT) == S_IFDIR {
                try setOwner(entry, name: path.name, in: parent)
                directories.append((path, entry))
                return
            }
            try root.remove(path.name, in: parent)
            // A directory this layer made and now replaced gets no mode or times later.
            directories.removeAll { $0.path.isWithin(path) }
        }
        // remove() dropped the cached fd; ask again.
        let directory = try root.directory(path.parent, create: true, entry: entry.name)
        try create(entry, at: path, in: directory, from: reader)
    }

    private func create(_ entry: LayerEntry, at path: RelativePath, in directory: Int32, from reader: LayerReader)
        throws
    {
        let name = path.name
        switch entry.kind {
        case .file:
            try createFile(entry, name: name, in: directory, from: reader)
        case .directory:
            try check("mkdirat", path: path.description) { mkdirat(directory, name, 0o700) }
            try setOwner(entry, name: name, in: directory)
            directories.append((path, entry))
            report.directories += 1
        case .symlink:
            try check("symlinkat", path: path.description) { symlinkat(entry.linkTarget ?? "", directory, name) }
            try setOwner(entry, name: name, in: directory)
            try setTimes(entry, name: name, in: directory)
            report.symlinks += 1
        case .hardlink:
            try link(entry, at: path, in: directory)
        case .fifo, .characterDevice, .blockDevice:
            try createNode(entry, at: path, in: directory)
        case .socket, .unknown:
            throw LayerError.unsupportedType(entry.name, type: entry.kind.rawValue)
        }
    }

    private func createFile(_ entry: LayerEntry, name: String, in directory: Int32, from reader: LayerReader) throws {
        if totalBytes + entry.size > limits.maxBytes { throw LayerError.tooLarge(limit: limits.maxBytes) }
        // Created with its permission bits when umask lets them through, so
        // only setuid/setgid/sticky files (or a restrictive umask) need fchmod.
        let fd = try check("openat(O_CREAT|O_EXCL|O_NOFOLLOW)", path: entry.name) {
            openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(entry.mode & 0o777))
        }
        defer { close(fd) }
        totalBytes += entry.size
        try reader.copyData(to: fd, size: entry.size)
        if privileged {
            try check("fchown", path: entry.name) { fchown(fd, entry.uid, entry.gid) }
        }
        if entry.mode & 0o7000 != 0 || entry.mode & creationMask != 0 {
            try check("fchmod", path: entry.name) { fchmod(fd, mode_t(entry.mode)) }
        }
        setXattrs(entry) { cs_fsetxattr(fd, $0, $1, $2, 0) }
        let times = [entry.accessed ?? entry.modified, entry.modified]
        try check("futimens", path: entry.name) { futimens(fd, times) }
        report.files += 1
        report.bytes += entry.size
    }

    private func link(_ entry: LayerEntry, at path: RelativePath, in directory: Int32) throws {
        let targetName = entry.linkTarget ?? ""
        let target: RelativePath
        do {
            guard case .write(let planned) = try planner(targetName), !planned.isRoot else {
                throw LayerError.hardlinkOutsideRoot(entry.name, target: targetName)
            }
            target = planned
        } catch LayerError.pathEscapesRoot {
            throw LayerError.hardlinkOutsideRoot(entry.name, target: targetName)
        }
        if target == path { return }
        if mode == .overlay && !written.contains(target) {
            throw LayerError.hardlinkAcrossLayers(entry.name, target: targetName)
        }
        let targetDirectory: Int32
        do {
            targetDirectory = try root.openDirectory(target.parent, entry: entry.name)
        } catch let error as SyscallError where error.errno.rawValue == ENOENT {
            throw LayerError.hardlinkTargetMissing(entry.name, target: targetName)
        }
        defer { close(targetDirectory) }
        if linkat(targetDirectory, target.name, directory, path.name, 0) != 0 {
            let code = errno
            if code == ENOENT { throw LayerError.hardlinkTargetMissing(entry.name, target: targetName) }
            throw SyscallError(call: "linkat", path: entry.name, errno: .init(rawValue: code))
        }
        report.hardlinks += 1
    }

    private func createNode(_ entry: LayerEntry, at path: RelativePath, in directory: Int32) throws {
        let type: UInt32
        switch entry.kind {
        case .characterDevice: type = S_IFCHR
        case .blockDevice: type = S_IFBLK
        default: type = S_IFIFO
        }
        if type != S_IFIFO && !privileged {
            report.skipped.append(
                "\(entry.name): device \(entry.deviceMajor):\(entry.deviceMinor) not made (needs root)")
            return
        }
        try check("mknodat", path: entry.name) {
            cs_mknodat(directory, path.name, type | 0o600, entry.deviceMajor, entry.deviceMinor)
        }
        try setOwner(entry, name: path.name, in: directory)
        try check("fchmodat", path: entry.name) { fchmodat(directory, path.name, mode_t(entry.mode), 0) }
        try setTimes(entry, name: path.name, in: directory)
        report.others += 1
    }
}
