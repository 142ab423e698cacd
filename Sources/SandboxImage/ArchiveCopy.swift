import CArchive
import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Copies an image archive (a tar of a layout) into a private temporary directory.
///
/// Only directories, regular files and symlinks are copied (`docker save`
/// links identical layers with symlinks); names are cleaned and writes stay
/// in the copy through `RootDirectory`, like layer entries.
enum ArchiveCopy {
    static func extract(_ archivePath: String) throws -> String {
        let base = Sys.getenv("TMPDIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/var/tmp"
        let directory = try Sys.makeTemporaryDirectory(base + "/sandboxlabs-image-")
        do {
            try copy(archivePath, into: directory)
            return directory
        } catch {
            removeTree(directory)
            throw error
        }
    }

    private static func copy(_ archivePath: String, into directory: String) throws {
        guard let archive = archive_read_new() else { throw LayerError.archive("archive_read_new failed") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        archive_read_support_filter_gzip(archive)
        archive_read_support_filter_zstd(archive)
        guard archive_read_open_filename(archive, archivePath, 1 << 20) == ARCHIVE_OK else {
            throw ImageError.notAnImage(archivePath, reason: LayerReader.message(archive))
        }
        let root = try RootDirectory(path: directory)
        var header: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &header)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN, let header else {
                throw ImageError.notAnImage(archivePath, reason: LayerReader.message(archive))
            }
            try copyEntry(LayerEntry(header), archive: archive, root: root)
            let signal = cs_interrupted()  // set only if the program asked (cs_catch_interrupts)
            if signal != 0 { throw LayerError.interrupted(signal: signal) }
        }
    }

    private static func copyEntry(_ entry: LayerEntry, archive: OpaquePointer, root: RootDirectory) throws {
        let path = try clean(entry.name)
        if path.isRoot { return }
        let parent = try root.directory(path.parent, create: true, entry: entry.name)
        switch entry.kind {
        case .directory:
            if mkdirat(parent, path.name, 0o755) != 0 && errno != EEXIST {
                throw SyscallError(call: "mkdirat", path: entry.name, errno: .init(rawValue: errno))
            }
        case .file:
            let fd = try check("openat", path: entry.name) {
                openat(parent, path.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            }
            defer { close(fd) }
            var buffer: UnsafeRawPointer?
            var length = 0
            var offset: la_int64_t = 0
            while archive_read_data_block(archive, &buffer, &length, &offset) == ARCHIVE_OK {
                guard let buffer else { continue }
                try check("pwrite", path: entry.name) { pwrite(fd, buffer, length, off_t(offset)) }
            }
        case .symlink:
            try check("symlinkat", path: entry.name) { symlinkat(entry.linkTarget ?? "", parent, path.name) }
        default:
            throw ImageError.archiveMember(
                entry.name, reason: "a \(entry.kind.rawValue) has no place in an image archive")
        }
    }

    /// Lexical cleaning: "" and "." dropped, ".." refused.
    static func clean(_ name: String) throws -> RelativePath {
        let parts = name.split(separator: "/").map(String.init).filter { $0 != "." }
        if parts.contains("..") { throw ImageError.archiveMember(name, reason: "climbs out with \"..\"") }
        return try RelativePath(components: parts, entry: name)
    }

    /// Removes a directory tree we made (never follows symlinks).
    static func removeTree(_ path: String) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let parentPath = slash == path.startIndex ? "/" : String(path[..<slash])
        guard let parent = try? RootDirectory(path: parentPath) else { return }
        try? parent.remove(String(path[path.index(after: slash)...]), in: parent.fd)
    }
}
