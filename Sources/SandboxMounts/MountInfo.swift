import SandboxCore

/// One line of /proc/PID/mountinfo (proc(5)).
public struct MountEntry: Equatable, Sendable {
    public var id: Int
    public var parentID: Int
    /// Where it is mounted, as seen by the reading process.
    public var mountPoint: String
    /// The directory of the filesystem that is mounted there (not `/` for bind mounts).
    public var root: String
    public var type: String
    public var source: String
    public var options: String
    /// `shared:N`, `master:N`, ... (empty for private).
    public var optionalFields: [String]

    public var propagation: MountPropagation {
        if optionalFields.contains(where: { $0.hasPrefix("shared:") }) { return .shared }
        if optionalFields.contains(where: { $0.hasPrefix("master:") }) { return .slave }
        return .private
    }
}

/// The mount table of a process, as the kernel reports it.
public enum MountInfo {
    /// Reads /proc/PID/mountinfo ("self" for the caller).
    public static func read(pid: String = "self") throws -> [MountEntry] {
        parse(try ProcFile.read("/proc/\(pid)/mountinfo"))
    }

    /// Parses mountinfo text; malformed lines are skipped.
    public static func parse(_ text: String) -> [MountEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 10, let separator = fields.firstIndex(of: "-"), separator >= 6,
                separator + 3 < fields.count, let id = Int(fields[0]), let parent = Int(fields[1])
            else { return nil }
            return MountEntry(
                id: id, parentID: parent, mountPoint: unescape(fields[4]), root: unescape(fields[3]),
                type: fields[separator + 1], source: unescape(fields[separator + 2]), options: fields[5],
                optionalFields: Array(fields[6..<separator]))
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as \040, \011, \012, \134.
    static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
                let value = UInt8(String(decoding: raw[index + 1...index + 3], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
