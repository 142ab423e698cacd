#if canImport(Glibc)
    import Glibc
#endif

/// Finding what the project's scripts made (the root filesystem, the images)
/// without being told: from the current directory up, then from the
/// executable's. One place, so sb-doctor and sb-grade always agree.
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
