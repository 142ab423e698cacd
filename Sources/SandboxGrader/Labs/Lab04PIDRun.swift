import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// A lab 04 run inside a throwaway PID and mount namespace.
///
/// The wrapper shell is PID 1 of a PID namespace the grader made, in a mount
/// namespace whose mounts it first makes private. So an implementation that
/// mounts proc without its own mount namespace covers the throwaway
/// namespace's /proc, not the host's, and one that signals "every process"
/// (kill -1) reaches only the throwaway namespace; when the wrapper exits, the
/// kernel kills whatever the implementation left behind. The wrapper mounts a
/// proc of its own PID namespace, so the implementation's /proc/PID agrees with
/// the pids clone(2) gives it; the grader looks from outside through the host's. After the run the
/// wrapper reports on fd 3 whether its mount table changed.
struct ContainedPIDRun {
    /// The PID namespace the implementation was started in.
    let startingNamespace: NamespaceID
    let child: ChildProcess

    static let wrapper =
        "mount --make-rprivate / && mount -t proc proc /proc || exit 125; before=$(cat /proc/self/mountinfo); \"$@\"; status=$?;"
        + " after=$(cat /proc/self/mountinfo 2>&1); if [ \"$before\" = \"$after\" ]; then echo unchanged;"
        + " else echo changed; fi >&3; exit $status"

    init(_ context: GradeContext, _ arguments: [String]) throws {
        let jail = try Jail(
            Probe(context: context), cloneFlags: Namespace.pid.cloneFlag | Namespace.mnt.cloneFlag, watching: .pid,
            wrapper: ContainedPIDRun.wrapper, name: "sb-grade-pid-jail", arguments)
        (startingNamespace, child) = (jail.startingNamespace, jail.child)
    }

    func finish(_ context: GradeContext) -> ChildProcess.Result { child.finish(timeout: context.timeout) }

    /// Whether the wrapper saw its mount table unchanged after the run.
    static func mountsUnchanged(_ result: ChildProcess.Result) -> Bool {
        result.report.trimmingWhitespace() == "unchanged"
    }

    /// The process under the wrapper whose pid in its own namespace is
    /// `innerPid` (the last NSpid entry), as our pid. The command prints `$$`,
    /// its pid inside; this finds the same process from outside.
    func find(innerPid: pid_t, inNamespaceOtherThanStarting: Bool = false) -> pid_t? {
        ProcessTable.descendants(of: child.pid).first { pid in
            guard ProcessTable.nspid(pid).last == innerPid else { return false }
            guard inNamespaceOtherThanStarting else { return true }
            return (try? NamespaceID.of(pid: "\(pid)", .pid)) != startingNamespace
        }
    }
}

/// Reading the process table from outside, through our /proc.
enum ProcessTable {
    /// Every pid in /proc.
    static func all() -> [pid_t] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var pids: [pid_t] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let pid = pid_t(name) { pids.append(pid) }
        }
        return pids
    }

    static func status(_ pid: pid_t) -> String { (try? ProcFile.read("/proc/\(pid)/status")) ?? "" }

    /// NSpid: the pid in each PID namespace, outermost (ours) first.
    static func nspid(_ pid: pid_t) -> [pid_t] {
        (ProcFile.field("NSpid", in: status(pid)) ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" })
            .compactMap { pid_t($0) }
    }

    static func parent(_ pid: pid_t) -> pid_t? { ProcFile.field("PPid", in: status(pid)).flatMap { pid_t($0) } }

    /// Processes whose chain of parents reaches `root` (not `root` itself).
    static func descendants(of root: pid_t) -> [pid_t] {
        all().filter { pid in
            var current = pid
            for _ in 0..<64 {
                guard let parent = parent(current), parent > 0 else { return false }
                if parent == root { return true }
                current = parent
            }
            return false
        }
    }
}
