import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 02 (enter part): joining a running process's namespaces, like nsenter.
///
/// Contract: `IMPL --target PID [--all] [--uts] [--ipc] [--net] [--pid] [--mount]
/// [--user] [--cgroup] [--time] [--quiet | --json] -- CMD [ARGS...]` runs CMD in
/// the chosen namespaces of PID (--all: every one in which PID differs from
/// us) and exits with CMD's status. With --pid, CMD is a child born in the
/// target's PID namespace. --json prints, as the first line of stdout, one JSON
/// object with `target`, `joined` (kinds), and `before`/`after`, each mapping a
/// kind to `"KIND:[INODE]"` (for pid and time, the *_for_children link). A
/// target that does not exist is an error (stderr, non-zero status).
///
/// The targets are the grader's own processes in throwaway namespaces
/// (killed after each check), so a wrong implementation joins nothing of the host's.
enum Lab02Enter {
    static let lab = Lab(
        number: "02-enter", slug: "02-namespaces-api", title: "The namespace APIs: joining namespaces (setns)",
        reference: "sb-enter",
        contract: "IMPL --target PID [--all] [--uts] [--ipc] [--net] [--pid] [--mount] [--user] [--cgroup] [--time]"
            + " [--quiet | --json] -- CMD [ARGS...]",
        checks: [runs, joins, onlyAsked, pid, all, json, badTarget], starterSources: ["Sources/sb-enter"],
        needsRootfs: false)

    static let boxed: Set<Namespace> = [.mnt, .uts, .ipc, .net, .pid]

    /// Runs IMPL with `hostPidPayload` and returns the payload's namespaces of `kinds` while it waits.
    static func joined(
        _ context: GradeContext, _ arguments: [String], _ kinds: [Namespace], skipLines: Int = 0
    ) throws -> (ids: [Namespace: NamespaceID], nsPid: String, skipped: [String], result: ChildProcess.Result) {
        let child = try ChildProcess(Probe(context: context).request(arguments + ["--"] + hostPidPayload))
        var nsPid = ""
        var skipped: [String] = []
        let (ids, result) = try Probe.inspect(child, timeout: context.timeout, skipLines: skipLines) { pid, lines in
            skipped = lines
            nsPid = child.readLine(timeout: context.timeout)?.trimmingWhitespace() ?? ""
            return try namespaces(of: pid, kinds)
        }
        return (ids, nsPid, skipped, result)
    }

    /// The first kind whose inode differs between `ids` and the target's, or nil.
    static func mismatch(_ ids: [Namespace: NamespaceID], _ target: Lab02Target, _ kinds: [Namespace]) throws
        -> String?
    {
        for kind in kinds where try ids[kind] != target.namespace(kind) {
            return "the command's \(ids[kind].map(\.description) ?? "?"), the target's \(try target.namespace(kind))"
        }
        return nil
    }

    static let runs = Check(
        id: "02.enter.runs", title: "the command runs in the target's UTS namespace; its exit status is passed on",
        points: 10,
        hint: "run the command given after -- (as a child: fork/clone, then execve) and exit with its status;"
            + " the command should see the target's hostname once you have joined its UTS namespace."
    ) { context in
        let target = try Lab02Target(boxed)
        let result = try Probe(context: context).run([
            "--quiet", "--target", "\(target.pid)", "--uts", "--", "/bin/sh", "-c",
            "cat /proc/sys/kernel/hostname; exit 7",
        ])
        guard result.status == .exited(7), result.stdout.trimmingWhitespace() == Lab02Target.hostname else {
            return .fail(
                "expected \(Lab02Target.hostname) and status 7; got \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("printed \(Lab02Target.hostname), exited 7")
    }

    static let joins = Check(
        id: "02.enter.joins", title: "--uts --ipc --net: the command's /proc/PID/ns/* are the target's", points: 25,
        dependsOn: ["02.enter.runs"],
        hint: "call setns(2) for each namespace asked for: with a pidfd (pidfd_open(2)) and all the CLONE_NEW* flags"
            + " at once, or with an fd of each /proc/PID/ns/KIND and its flag."
    ) { context in
        let target = try Lab02Target(boxed)
        let kinds: [Namespace] = [.uts, .ipc, .net]
        let run = try joined(context, ["--quiet", "--target", "\(target.pid)", "--uts", "--ipc", "--net"], kinds)
        if let problem = try mismatch(run.ids, target, kinds) { return .fail(problem) }
        return .pass("uts, ipc and net are the target's")
    }

    static let onlyAsked = Check(
        id: "02.enter.only-asked", title: "--uts alone joins the UTS namespace and nothing else", points: 10,
        dependsOn: ["02.enter.joins"],
        hint: "join only the namespaces named on the command line: pass exactly those CLONE_NEW* flags to setns."
    ) { context in
        let target = try Lab02Target(boxed)
        let run = try joined(context, ["--quiet", "--target", "\(target.pid)", "--uts"], [.uts, .net, .ipc])
        if let problem = try mismatch(run.ids, target, [.uts]) { return .fail(problem) }
        for kind in [Namespace.net, .ipc] where run.ids[kind] != (try NamespaceID.of(kind)) {
            return .fail("asked for --uts only, but the command's \(kind.rawValue) namespace is not ours")
        }
        return .pass("uts joined; net and ipc still ours")
    }

    static let pid = Check(
        id: "02.enter.pid", title: "--pid: the command is a child born in the target's PID namespace", points: 20,
        dependsOn: ["02.enter.runs"],
        hint: "setns into a PID namespace does not move the caller, only its children: after joining, fork (or"
            + " clone) and run the command in the child, then wait for it and exit with its status."
    ) { context in
        let target = try Lab02Target(boxed)
        let run = try joined(context, ["--quiet", "--target", "\(target.pid)", "--pid"], [.pid])
        if let problem = try mismatch(run.ids, target, [.pid]) { return .fail(problem) }
        guard let inside = Int(run.nsPid), inside < 100 else {
            return .fail("$$ inside is \(quoted(run.nsPid)): the command is not numbered by the target's namespace")
        }
        return .pass("in \(try target.namespace(.pid)) as pid \(inside) there")
    }

    static let all = Check(
        id: "02.enter.all", title: "--all joins every namespace in which the target differs", points: 15,
        dependsOn: ["02.enter.joins", "02.enter.pid"],
        hint: "with --all, compare /proc/self/ns/KIND with /proc/PID/ns/KIND and join every kind that differs"
            + " (here mnt, uts, ipc, net and pid); joining the mount namespace too."
    ) { context in
        let target = try Lab02Target(boxed)
        let kinds = boxed.sorted()
        let run = try joined(context, ["--quiet", "--target", "\(target.pid)", "--all"], kinds)
        if let problem = try mismatch(run.ids, target, kinds) { return .fail(problem) }
        return .pass("all of \(kinds.map(\.rawValue)) are the target's")
    }

    static let json = Check(
        id: "02.enter.json", title: "--json reports before and after as the kernel sees them", points: 10,
        dependsOn: ["02.enter.joins"],
        hint: "with --json, print one JSON object as the first stdout line, before the command's output:"
            + " {\"target\":PID,\"joined\":[\"uts\",\"net\"],\"before\":{\"uts\":\"uts:[N]\",...},\"after\":{...}}."
    ) { context in
        let target = try Lab02Target(boxed)
        let arguments = ["--json", "--target", "\(target.pid)", "--uts", "--net"]
        let run = try joined(context, arguments, [.uts, .net], skipLines: 1)
        guard let record = try? JSON.parse(run.skipped.first ?? "") else {
            return .fail("the first stdout line is not JSON: \(quoted(run.skipped.first ?? ""))")
        }
        guard record["target"]?.intValue == Int(target.pid) else { return .fail("target is not \(target.pid)") }
        for kind in [Namespace.uts, .net] {
            let after = record["after"]?[kind.rawValue]?.stringValue
            let before = record["before"]?[kind.rawValue]?.stringValue
            guard after == (try target.namespace(kind)).description, after == run.ids[kind]?.description else {
                return .fail(
                    "after.\(kind.rawValue) is \(after ?? "missing"), the target's is \(try target.namespace(kind))")
            }
            guard before == (try NamespaceID.of(kind)).description else {
                return .fail("before.\(kind.rawValue) is \(before ?? "missing"), ours is \(try NamespaceID.of(kind))")
            }
        }
        return .pass("before = ours, after = the target's")
    }

    static let badTarget = Check(
        id: "02.enter.bad-target", title: "a target that does not exist is an error; the command does not run",
        points: 10, dependsOn: ["02.enter.runs"],
        hint: "pidfd_open(2) or open(/proc/PID/ns/...) fails (ESRCH/ENOENT): print the error on stderr, exit"
            + " non-zero, and do not run the command in your own namespaces instead."
    ) { context in
        let result = try Probe(context: context).run([
            "--quiet", "--target", "4194305", "--uts", "--", "/bin/echo", "ran",
        ])
        guard result.status != .exited(0), !result.stdout.contains("ran"), !result.stderr.isEmpty else {
            return .fail("target 4194305: \(summary(result)), stdout \(quoted(result.stdout))")
        }
        return .pass("refused: \(result.status)")
    }
}
