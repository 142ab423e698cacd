import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 03 (IPC part): System V IPC and POSIX message queues of one's own.
///
/// Contract: `IMPL [--quiet | --json] -- CMD [ARGS...]` runs CMD in a new IPC
/// namespace and exits with CMD's status. --json prints, as the first line of
/// stdout, one JSON object with `inside` and `outside`, each `{"ipc": "ipc:[INODE]"}`.
///
/// Every run happens inside a throwaway IPC namespace made by the grader, in
/// which the grader first creates a message queue (`ipcmk -Q`). An
/// implementation that forgets unshare sees that queue, and what it creates
/// lands in the throwaway namespace, never on the host.
enum Lab03IPC {
    static let lab = Lab(
        number: "03-ipc", slug: "03-uts-ipc", title: "IPC namespace: message queues and shared memory of one's own",
        reference: "sb-ipc", contract: "IMPL [--quiet | --json] -- CMD [ARGS...]",
        checks: [runs, newNamespace, outsideInvisible, insideInvisible, exitStatus, json],
        starterSources: ["Sources/sb-ipc"], needsRootfs: false)

    static let runs = Check(
        id: "03.ipc.runs", title: "the command given after -- runs", points: 10,
        hint: "exec the command given after -- (execve, or clone and wait) with its arguments, after unshare."
    ) { context in
        let result = try ContainedIPCRun(context, ["--quiet", "--", "/bin/echo", "sbgrade-ipc"]).finish(context)
        guard result.status == .exited(0), result.stdout.trimmingWhitespace() == "sbgrade-ipc" else {
            return .fail("expected sbgrade-ipc and status 0; got stdout \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("the command printed sbgrade-ipc")
    }

    static let newNamespace = Check(
        id: "03.ipc.new-namespace", title: "the command runs in a new IPC namespace (/proc/PID/ns/ipc)", points: 25,
        dependsOn: ["03.ipc.runs"],
        hint: "the command ran in the IPC namespace the program was started in: call unshare(CLONE_NEWIPC)"
            + " (or clone with it) before running the command."
    ) { context in
        let run = try ContainedIPCRun(context, ["--quiet", "--"] + Probe.waitingPayload)
        let (inode, _) = try Probe.inspect(run.child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try NamespaceID.of(pid: "\(pid)", .ipc)
        }
        return .newNamespace(inode, startedIn: run.startingNamespace, .ipc)
    }

    static let outsideInvisible = Check(
        id: "03.ipc.outside-invisible", title: "a message queue made outside is invisible inside", points: 20,
        dependsOn: ["03.ipc.runs"],
        hint: "the command saw the queue the grader made before starting it: it shares the starting IPC"
            + " namespace. unshare(CLONE_NEWIPC) must come before the command runs."
    ) { context in
        let run = try ContainedIPCRun(context, ["--quiet", "--", "/bin/cat", "/proc/sysvipc/msg"])
        let result = run.finish(context)
        let keys = SysVTable.parseKeys(result.stdout)
        let outside = ContainedIPCRun.tables(result).before
        guard result.status == .exited(0), !result.stdout.isEmpty, let key = outside.first else {
            return .fail("cat /proc/sysvipc/msg: \(summary(result))")
        }
        guard !keys.contains(key) else {
            return .fail("the command's /proc/sysvipc/msg lists the outside queue \(IPCObject.hex(key))")
        }
        return .pass("the command saw \(keys.count) queue(s), not \(IPCObject.hex(key))")
    }

    static let insideInvisible = Check(
        id: "03.ipc.inside-invisible", title: "a message queue made inside is invisible outside", points: 20,
        dependsOn: ["03.ipc.runs"],
        hint: "a queue the command made appeared in the namespace the program started in: the command must"
            + " run in the new IPC namespace, not the parent or a sibling process."
    ) { context in
        let run = try ContainedIPCRun(context, ["--quiet", "--", "/usr/bin/ipcmk", "-Q"])
        let result = run.finish(context)
        guard result.status == .exited(0) else { return .fail("ipcmk -Q: \(summary(result))") }
        let (before, after) = ContainedIPCRun.tables(result)
        guard after == before else {
            let shown = after.map(IPCObject.hex).joined(separator: " ")
            return .fail("the starting namespace's queues went from \(before.count) to \(after.count) (keys \(shown))")
        }
        return .pass("outside still sees its \(before.count) queue only")
    }

    static let exitStatus = Check(
        id: "03.ipc.exit-status", title: "the command's exit status is passed on", points: 10,
        dependsOn: ["03.ipc.runs"],
        hint: "exit with the command's status: exec it (then its status is yours), or waitpid(2) and exit with"
            + " WEXITSTATUS (128 + signal if it was killed)."
    ) { context in
        let result = try ContainedIPCRun(context, ["--quiet", "--", "/bin/sh", "-c", "exit 3"]).finish(context)
        guard result.status == .exited(3) else { return .fail("sh -c 'exit 3': \(summary(result))") }
        return .pass("status 3")
    }

    static let json = Check(
        id: "03.ipc.json", title: "--json reports the inside and outside IPC namespaces as the kernel sees them",
        points: 15, dependsOn: ["03.ipc.new-namespace"],
        hint: "with --json, print one JSON object as the first stdout line, before the command's output:"
            + " {\"inside\":{\"ipc\":\"ipc:[INODE]\"},\"outside\":{\"ipc\":\"ipc:[INODE]\"}}, as readlink shows them."
    ) { context in
        let run = try ContainedIPCRun(context, ["--json", "--"] + Probe.waitingPayload)
        let line = run.child.readLine(timeout: context.timeout) ?? ""
        guard let record = try? JSON.parse(line) else {
            let result = run.finish(context)
            return .fail("the first stdout line is not JSON: \(quoted(line)); \(summary(result))")
        }
        let (inode, _) = try Probe.inspect(run.child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try NamespaceID.of(pid: "\(pid)", .ipc)
        }
        let inside = record["inside"]?["ipc"]?.stringValue
        let outside = record["outside"]?["ipc"]?.stringValue
        guard inside == inode.description else {
            return .fail("inside.ipc is \(inside ?? "missing"), the command's namespace is \(inode)")
        }
        guard outside == run.startingNamespace.description else {
            return .fail("outside.ipc is \(outside ?? "missing"), the starting namespace is \(run.startingNamespace)")
        }
        return .pass("inside \(inode), outside \(run.startingNamespace)")
    }
}

/// A run inside a throwaway IPC namespace that already holds one message
/// queue (made by ipcmk, with a random key). The wrapper reports that
/// namespace's /proc/sysvipc/msg on fd 3 before and after the implementation.
struct ContainedIPCRun {
    let startingNamespace: NamespaceID
    let child: ChildProcess

    static let wrapper =
        "/usr/bin/ipcmk -Q >/dev/null || exit 125; cat /proc/sysvipc/msg >&3; echo -- >&3; \"$@\"; status=$?;"
        + " cat /proc/sysvipc/msg >&3; exit $status"

    init(_ context: GradeContext, _ arguments: [String]) throws {
        let jail = try Jail(
            Probe(context: context), cloneFlags: Namespace.ipc.cloneFlag, watching: .ipc,
            wrapper: ContainedIPCRun.wrapper, name: "sb-grade-ipc-jail", arguments)
        (startingNamespace, child) = (jail.startingNamespace, jail.child)
    }

    func finish(_ context: GradeContext) -> ChildProcess.Result { child.finish(timeout: context.timeout) }

    /// The message queue keys of the starting namespace before and after the run.
    static func tables(_ result: ChildProcess.Result) -> (before: [key_t], after: [key_t]) {
        let parts = result.report.split(separator: "--\n", maxSplits: 1, omittingEmptySubsequences: false)
        let before = SysVTable.parseKeys(String(parts.first ?? ""))
        return (before, parts.count > 1 ? SysVTable.parseKeys(String(parts[1])) : [])
    }
}
