import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// A run inside a throwaway mount namespace, so a wrong implementation (one
/// that forgets unshare, or leaks mounts through shared propagation) changes
/// that namespace and never the grader's or the host's mount table.
///
/// The wrapper shell is the namespace's first process. It cuts the namespace
/// off from the grader's with `mount --make-rprivate /` (on a systemd host the
/// fresh copy's mounts are still peers of the host's), and with `shared` then
/// makes / shared again, within the namespace only, to play a systemd host. It
/// reports its mount table on fd 3 before and after the implementation runs.
struct ContainedMountRun {
    /// The namespace the implementation was started in.
    let startingNamespace: NamespaceID
    let child: ChildProcess

    static let separator = "--- sb-grade: after ---"
    static let wrapper =
        "mount=$1; shift; \"$mount\" --make-rprivate / || exit 120; "
        + "if [ \"$SB_GRADE_SHARED\" = 1 ]; then \"$mount\" --make-rshared / || exit 120; fi; "
        + "cat /proc/self/mountinfo >&3; \"$@\"; status=$?; echo '\(separator)' >&3; "
        + "cat /proc/self/mountinfo >&3; exit $status"

    init(_ probe: Probe, _ arguments: [String], shared: Bool = false) throws {
        let mount = Sys.resolveExecutable("mount", searchPath: "/usr/bin:/bin:/usr/sbin:/sbin") ?? "/bin/mount"
        let jail = try Jail(
            probe, cloneFlags: Namespace.mnt.cloneFlag, watching: .mnt, wrapper: ContainedMountRun.wrapper,
            name: "sb-grade-mnt-jail", leading: [mount], environment: ["SB_GRADE_SHARED=\(shared ? 1 : 0)"],
            arguments)
        (startingNamespace, child) = (jail.startingNamespace, jail.child)
    }

    /// Mount points that appeared in, or vanished from, the starting namespace
    /// during the run (`+ /path`, `- /path`); nil if the wrapper could not report.
    static func tableChanges(_ result: ChildProcess.Result) -> [String]? {
        let lines = result.report.split(separator: "\n").map(String.init)
        guard let middle = lines.firstIndex(of: separator), middle > 0 else { return nil }
        let before = Set(lines[..<middle])
        let after = Set(lines[(middle + 1)...])
        let added = after.subtracting(before).map { "+ " + MountLine($0).mountPoint }
        let removed = before.subtracting(after).map { "- " + MountLine($0).mountPoint }
        let changes = (added + removed).sorted()
        return changes.count > 12 ? Array(changes.prefix(12)) + ["… \(changes.count - 12) more"] : changes
    }
}

/// The fields of one /proc/PID/mountinfo line the checks need (proc(5)).
struct MountLine {
    var mountPoint = ""
    var options = ""
    var type = ""

    init(_ line: String) {
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count >= 10, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { return }
        mountPoint = fields[4]
        options = fields[5]
        type = fields[dash + 1]
    }

    /// The mount table of a process as the kernel shows it to us.
    static func table(pid: pid_t) throws -> [MountLine] {
        try ProcFile.read("/proc/\(pid)/mountinfo").split(separator: "\n").map { MountLine(String($0)) }
    }

    /// Whether the per-mount options (field 6) include read-only.
    var readOnly: Bool { options.split(separator: ",").contains("ro") }
}

/// The mount points in a table, for messages.
func mountPoints(_ table: [MountLine]) -> String {
    table.isEmpty ? "(none)" : table.map(\.mountPoint).joined(separator: " ")
}

/// A character device's major and minor, from stat(2) through /proc/PID/root.
func deviceNumbers(_ path: String) -> (major: UInt64, minor: UInt64)? {
    var buf = stat()
    guard lstat(path, &buf) == 0, buf.st_mode & S_IFMT == S_IFCHR else { return nil }
    let device = UInt64(buf.st_rdev)
    return (((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff), (device & 0xff) | ((device >> 12) & ~0xff))
}
