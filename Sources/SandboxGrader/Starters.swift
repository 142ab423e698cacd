import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Writes or checks every lab's `starter/` folder from the reference sources.
public enum Starters {
    /// One starter file: where it goes and what it should contain.
    public struct File: Sendable {
        public var path: String
        public var contents: String
    }

    /// The starter files of every lab, generated from the sources under `root`.
    public static func generate(root: String) throws -> [File] {
        var files: [File] = []
        for lab in Labs.all {
            let tag = lab.solutionTag
            for sourceDir in lab.starterSources {
                for name in try directoryNames(root + "/" + sourceDir).sorted() where name.hasSuffix(".swift") {
                    let origin = sourceDir + "/" + name
                    let source = try ProcFile.read(root + "/" + origin)
                    let text = try StarterGenerator.generate(source, lab: tag, origin: origin)
                    files.append(File(path: "\(lab.starterDirectory)/\(name)", contents: text))
                }
            }
        }
        return files
    }

    /// The files whose contents on disk differ from `files` (or are missing).
    public static func stale(_ files: [File], root: String) -> [String] {
        files.filter { (try? ProcFile.read(root + "/" + $0.path)) != $0.contents }.map(\.path)
    }

    /// Writes `files` under `root`, creating the starter folders.
    public static func write(_ files: [File], root: String) throws {
        for file in files {
            let directory = String(file.path.prefix(upTo: file.path.lastIndex(of: "/") ?? file.path.endIndex))
            var path = root
            for component in directory.split(separator: "/") {
                path += "/" + component
                if !Sys.exists(path) { try Sys.mkdir(path) }
            }
            try ProcFile.write(root + "/" + file.path, file.contents, create: true)
        }
    }
}

/// Finding the things the grader needs without being told.
public enum Locate {
    /// The directory of the running executable (where `swift build` put its siblings).
    public static func executableDirectory() -> String? {
        guard let exe = try? Sys.readlink("/proc/self/exe"), let slash = exe.lastIndex(of: "/") else { return nil }
        return String(exe[..<slash])
    }

    /// The `.sandboxlabs` directory the project's scripts fill (rootfs, images,
    /// hostile corpus): in the current directory or above, else above the executable.
    public static func artefacts() -> String? {
        searchUpward { Sys.exists($0 + "/.sandboxlabs/images") || Sys.exists($0 + "/.sandboxlabs/hostile") }
            .map { $0 + "/.sandboxlabs" }
    }

    /// The root filesystem: $SANDBOXLABS_ROOTFS, else `.sandboxlabs/rootfs` in the
    /// current directory or above, else above the executable (the repo it was built in).
    public static func rootfs() -> String? {
        if let path = Sys.getenv("SANDBOXLABS_ROOTFS"), !path.isEmpty { return path }
        return searchUpward { Sys.exists($0 + "/.sandboxlabs/rootfs/etc/sandboxlabs-rootfs") }
            .map { $0 + "/.sandboxlabs/rootfs" }
    }

    /// The first directory, from the current one and then the executable's up
    /// to /, for which `found` is true.
    private static func searchUpward(_ found: (String) -> Bool) -> String? {
        var starts: [String] = []
        var buffer = [CChar](repeating: 0, count: 4096)
        if getcwd(&buffer, buffer.count) != nil {
            starts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        if let dir = executableDirectory() { starts.append(dir) }
        for start in starts {
            var dir = start
            while true {
                if found(dir) { return dir }
                guard let slash = dir.lastIndex(of: "/"), dir != "/" else { break }
                dir = slash == dir.startIndex ? "/" : String(dir[..<slash])
            }
        }
        return nil
    }
}
