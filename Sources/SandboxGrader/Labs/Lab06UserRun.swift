import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// One run of a lab 06 implementation, observed from outside while its
/// command waits: the command's own `id -u` and `id -g` (inside), and what the
/// kernel shows the grader about that process (outside).
struct UserRun {
    /// What the command printed: its uid and gid in the new namespace.
    var insideUID: String
    var insideGID: String
    /// What the kernel showed the grader while the command ran.
    var outside: Outside
    var result: ChildProcess.Result

    /// The command's process as the grader's namespace sees it.
    struct Outside {
        /// /proc/PID/ns/user of the command.
        var user: NamespaceID
        /// The four ids of the `Uid:` line of /proc/PID/status.
        var statusUIDs: [String]
        var uidMap: [IDMapping]
        var gidMap: [IDMapping]
        /// /proc/PID/setgroups: "allow" or "deny".
        var setgroups: String
    }

    /// The unprivileged user a rootless run uses when the grader is root.
    static let nobody: UInt32 = 65534

    /// The payload: prints its ids, then its pid, then waits for us.
    static let payload = ["/bin/sh", "-c", "id -u; id -g; echo $$; read line || true"]

    /// Whether an unprivileged run needs setpriv (the grader is root) or is one already.
    static var graderIsRoot: Bool { geteuid() == 0 }

    /// The uid (and gid) an unprivileged run has outside.
    static var unprivilegedID: UInt32 { graderIsRoot ? nobody : UInt32(geteuid()) }

    /// Runs the implementation with `arguments` and the payload, as the grader's
    /// own user or (`unprivileged`) as nobody via setpriv(1).
    ///
    /// Running as nobody is also the containment for the rootless checks: a wrong
    /// implementation run that way cannot change anything on the host.
    static func observe(_ probe: Probe, _ arguments: [String], unprivileged: Bool = false) throws -> UserRun {
        // As nobody, run a copy nobody can reach: the original may sit under /root or /home/NAME.
        let copy = unprivileged && graderIsRoot ? try ExecutableCopy(of: probe.context.implementation) : nil
        defer { copy?.remove() }
        var context = probe.context
        context.implementation = copy?.path ?? context.implementation
        let probe = Probe(context: context)
        let child = try ChildProcess(request(probe, arguments + ["--"] + payload, unprivileged: unprivileged))
        var ids: [String] = []
        let (outside, result) = try Probe.inspect(child, timeout: probe.context.timeout, skipLines: 2) {
            pid, skipped in
            ids = skipped
            return try readOutside(pid: pid)
        }
        return UserRun(
            insideUID: ids.first ?? "", insideGID: ids.dropFirst().first ?? "", outside: outside, result: result)
    }

    /// The request, wrapped in `setpriv --reuid=65534 --regid=65534 --clear-groups` when asked.
    static func request(_ probe: Probe, _ arguments: [String], unprivileged: Bool) -> SpawnRequest {
        var request = probe.request(arguments)
        guard unprivileged && graderIsRoot else { return request }
        let setpriv = Sys.resolveExecutable("setpriv", searchPath: Sys.getenv("PATH")) ?? "/usr/bin/setpriv"
        request.path = setpriv
        request.arguments =
            [setpriv, "--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups", probe.context.implementation]
            + arguments
        return request
    }

    static func readOutside(pid: pid_t) throws -> Outside {
        let status = try ProcFile.read("/proc/\(pid)/status")
        let uids = (ProcFile.field("Uid", in: status) ?? "").split(whereSeparator: { $0 == "\t" || $0 == " " })
        return Outside(
            user: try NamespaceID.of(pid: "\(pid)", .user),
            statusUIDs: uids.map(String.init),
            uidMap: IDMapping.parse(try ProcFile.read("/proc/\(pid)/uid_map")),
            gidMap: IDMapping.parse(try ProcFile.read("/proc/\(pid)/gid_map")),
            setgroups: ProcFile.readTrimmed("/proc/\(pid)/setgroups") ?? "?")
    }

    /// `0 1000 1` lines as one short text for messages.
    static func text(_ map: [IDMapping]) -> String {
        map.isEmpty ? "(empty)" : map.map(\.description).joined(separator: ", ")
    }
}
