import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Small file helpers for the demo's scratch tree.
enum Files {
    /// Makes a fresh private directory `PARENT/sb-overlay-XXXXXX`. Corresponds to mkdtemp(3).
    static func makeScratch(in parent: String) throws -> String {
        try Sys.makeTemporaryDirectory(parent + "/sb-overlay-")
    }

    /// Creates `path` and its missing parents (mkdir -p).
    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if !Sys.exists(current) { try Sys.mkdir(current) }
        }
    }

    /// Writes `contents` to `path`, creating parent directories first.
    static func put(_ path: String, _ contents: String) throws {
        if let slash = path.lastIndex(of: "/") { try makeDirectories(String(path[..<slash])) }
        try ProcFile.write(path, contents, create: true)
    }

    /// The names in a directory, sorted, without . and .. (ls).
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes `path` and everything below it without following symlinks (rm -rf).
    static func removeTree(_ path: String) throws {
        var buf = stat()
        guard lstat(path, &buf) == 0 else { return }
        if buf.st_mode & S_IFMT == S_IFDIR {
            for name in list(path) { try removeTree(path + "/" + name) }
            try Sys.rmdir(path)
        } else {
            try Sys.unlink(path)
        }
    }

    /// A file's inode number, for showing that two names are different files.
    static func inode(_ path: String) -> UInt64 {
        var buf = stat()
        return lstat(path, &buf) == 0 ? UInt64(buf.st_ino) : 0
    }
}
