#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reading and writing the kernel's text files (/proc, /sys, cgroup files).
///
/// These files report a size of 0, so they are read until EOF in chunks,
/// and written with one write(2) call, because the kernel parses each write
/// as a whole (a partial write to `uid_map` or `cgroup.procs` is an error).
public enum ProcFile {
    /// The whole contents of a file.
    public static func read(_ path: String) throws(SyscallError) -> String {
        let fd = try check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try check("read", path: path) { Glibc.read(fd, &chunk, chunk.count) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The contents with surrounding whitespace removed, or nil if it cannot be read.
    public static func readTrimmed(_ path: String) -> String? {
        guard let text = try? read(path) else { return nil }
        return text.trimmingWhitespace()
    }

    /// Writes `contents` with a single write(2), creating the file if `create` is set.
    public static func write(_ path: String, _ contents: String, create: Bool = false) throws(SyscallError) {
        let flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0)
        let fd = try check("open", path: path) { open(path, flags, 0o644) }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        let written = try check("write", path: path) { Glibc.write(fd, bytes, bytes.count) }
        if written != bytes.count { throw SyscallError(call: "write", path: path, errno: .init(rawValue: EIO)) }
    }

    /// The value of a `Name:\tvalue` line, as in /proc/PID/status.
    public static func field(_ name: String, in text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return String(line.dropFirst(name.count + 1)).trimmingWhitespace()
        }
        return nil
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces, tabs and newlines.
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
