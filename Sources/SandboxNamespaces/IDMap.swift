import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// One line of /proc/PID/uid_map or gid_map: `count` ids starting at
/// `inside` in the namespace are `outside` ... in the parent namespace.
public struct IDMapping: Equatable, Sendable, CustomStringConvertible {
    public var inside: UInt32
    public var outside: UInt32
    public var count: UInt32

    public init(inside: UInt32, outside: UInt32, count: UInt32 = 1) {
        self.inside = inside
        self.outside = outside
        self.count = count
    }

    /// The line the kernel expects: `0 1000 1`.
    public var description: String { "\(inside) \(outside) \(count)" }

    /// Parses a map file's text (`inside outside count` per line, any spacing).
    public static func parse(_ text: String) -> [IDMapping] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
            return fields.count == 3 ? IDMapping(inside: fields[0], outside: fields[1], count: fields[2]) : nil
        }
    }
}

/// Writing the uid and gid maps of a process in a new user namespace.
public enum IDMaps {
    /// Writes the maps of `pid`, in the order the kernel demands.
    ///
    /// An unprivileged writer must first write "deny" to /proc/PID/setgroups,
    /// or writing gid_map fails with EPERM: otherwise a user could drop a
    /// supplementary group that denies it access (CVE-2014-8989). Each file is
    /// written once, with a single write(2), and cannot be changed afterwards.
    /// `write` lets a caller narrate each step.
    public static func write(
        pid: pid_t, uids: [IDMapping], gids: [IDMapping], denySetgroups: Bool,
        write: (String, String) throws -> Void = { path, text in try ProcFile.write(path, text) }
    ) throws {
        if denySetgroups { try write("/proc/\(pid)/setgroups", "deny") }
        try write("/proc/\(pid)/uid_map", lines(uids))
        try write("/proc/\(pid)/gid_map", lines(gids))
    }

    static func lines(_ mappings: [IDMapping]) -> String {
        mappings.map { $0.description + "\n" }.joined()
    }
}
