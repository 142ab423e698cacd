import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// A process the grader starts in namespaces of its own, for lab 02's tools to
/// inspect or join: a shell waiting on its stdin. It is killed and reaped when
/// this value goes away (ChildProcess's deinit), also when a check throws.
final class Lab02Target {
    let child: ChildProcess
    var pid: pid_t { child.pid }

    /// The hostname the target's UTS namespace gets, so a joined command can show it.
    static let hostname = "sbgrade-target"

    init(_ kinds: Set<Namespace>) throws {
        var request = SpawnRequest(path: "/bin/sh", arguments: ["sb-grade-target", "-c", "read line || true"])
        request.cloneFlags = Namespace.flags(kinds)
        if kinds.contains(.uts) { request.hostname = Lab02Target.hostname }
        request.newSession = true
        child = try ChildProcess(request)
    }

    /// The target's namespace of `kind`, as readlink shows it.
    func namespace(_ kind: Namespace) throws -> NamespaceID { try NamespaceID.of(pid: "\(pid)", kind) }

    deinit { _ = child.finish(timeout: 2) }
}

/// A payload that prints its pid as the grader's /proc shows it (from
/// /proc/self/stat, read by the shell itself: right even inside another PID
/// namespace, where $$ is a different number), then its own $$, then waits.
let hostPidPayload = ["/bin/sh", "-c", "read pid rest < /proc/self/stat; echo $pid; echo $$; read line || true"]

/// The inodes of `pid`'s namespaces of `kinds`.
func namespaces(of pid: pid_t, _ kinds: [Namespace]) throws -> [Namespace: NamespaceID] {
    var ids: [Namespace: NamespaceID] = [:]
    for kind in kinds { ids[kind] = try NamespaceID.of(pid: "\(pid)", kind) }
    return ids
}

/// A cgroup v2 directory under `sandboxlabs/`, made for one check and removed
/// afterwards (and the `sandboxlabs` parent, when nothing else is in it). The
/// implementation is moved into it before it runs, so its cgroup is not the
/// root and a cgroup namespace visibly changes what /proc/self/cgroup says.
final class ScratchCgroup {
    /// The path as /proc/PID/cgroup shows it outside: `/sandboxlabs/lab02-…`.
    let path: String
    private let directory: String
    private let parent: String

    init() throws {
        let root = Sys.exists("/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup"
        guard Sys.exists(root + "/cgroup.procs") else {
            throw CoreError.unexpectedFormat(path: root, detail: "no cgroup v2 hierarchy to make a test cgroup in")
        }
        parent = root + "/sandboxlabs"
        // EEXIST when a parallel run just made it: fine, and the leaf's mkdir reports anything else.
        if !Sys.exists(parent) { try? Sys.mkdir(parent) }
        path = "/sandboxlabs/lab02-grade-\(getpid())-\(ScratchCgroup.serial())"
        directory = root + path
        do { try Sys.mkdir(directory) } catch {
            try? Sys.rmdir(parent)
            throw error
        }
    }

    /// Moves `pid` into this cgroup. Corresponds to writing cgroup.procs.
    func add(_ pid: pid_t) throws { try ProcFile.write(directory + "/cgroup.procs", "\(pid)") }

    deinit {
        try? Sys.rmdir(directory)
        // Also when another run made it: rmdir fails (EBUSY, ENOTEMPTY) while
        // any cgroup is still in it, so only an empty parent goes away.
        try? Sys.rmdir(parent)
    }

    /// A number that differs between two cgroups made by one process.
    private static func serial() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int(now.tv_sec) * 1_000_000_000 + Int(now.tv_nsec)
    }
}
