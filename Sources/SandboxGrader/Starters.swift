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
