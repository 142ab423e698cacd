import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 04: a PID namespace, its own /proc, and an init that does its job.
///
/// Contract: `IMPL [--quiet | --json] -- CMD [ARGS...]` runs CMD in a new PID
/// namespace and a new mount namespace with a fresh proc on /proc, under an
/// init (PID 1 of the namespace) that reaps every child and forwards SIGTERM
/// to CMD, and exits with CMD's status (128+N if signal N killed it). --json
/// prints, as the first stdout line, `{"inside":{"pid":1,"pid_ns":"pid:[I]"},
/// "outside":{"pid":P,"pid_ns":"pid:[O]"}}`: the namespace's PID 1 as seen
/// inside and from where the implementation runs.
///
/// Every run happens in a throwaway PID and mount namespace (ContainedPIDRun).
enum Lab04 {
    static let lab = Lab(
        number: "04", slug: "04-pid", title: "PID namespace: PID 1, its own /proc, and an init",
        reference: "sb-pid", contract: "IMPL [--quiet | --json] -- CMD [ARGS...]",
        checks: [runs, newNamespace, ownProc, exitStatus, reaps, sigterm, mountsUnchanged, json],
        starterSources: ["Sources/sb-pid"], needsRootfs: false)

    /// Prints its pid inside, then waits until the grader closes stdin.
    static let waiting = ["/bin/sh", "-c", "echo $$; read line || true"]

    static let runs = Check(
        id: "04.runs", title: "the command given after -- runs", points: 10,
        hint: "run the command given after -- with its arguments in the new namespace (clone, then exec it, or"
            + " fork it from your init) and wait for it."
    ) { context in
        let result = try ContainedPIDRun(context, ["--quiet", "--", "/bin/echo", "sbgrade-pid"]).finish(context)
        guard result.status == .exited(0), result.stdout.trimmingWhitespace() == "sbgrade-pid" else {
            return .fail("expected sbgrade-pid and status 0; got stdout \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("the command printed sbgrade-pid")
    }

    static let newNamespace = Check(
        id: "04.new-pid-namespace", title: "the command runs in a new PID namespace, with one more pid (NSpid)",
        points: 20, dependsOn: ["04.runs"],
        hint: "the command is in the PID namespace the program started in: pass CLONE_NEWPID to clone(2) (or"
            + " unshare it and then fork: the new namespace is for children, not for the caller)."
    ) { context in
        let run = try ContainedPIDRun(context, ["--quiet", "--"] + waiting)
        let line = run.child.readLine(timeout: context.timeout) ?? ""
        defer { _ = run.finish(context) }
        guard let inner = pid_t(line.trimmingWhitespace()), let pid = run.find(innerPid: inner) else {
            return .fail("could not find the command (it printed \(quoted(line)))")
        }
        let namespace = try NamespaceID.of(pid: "\(pid)", .pid)
        let pids = ProcessTable.nspid(pid)
        guard namespace != run.startingNamespace else {
            return .fail("/proc/\(pid)/ns/pid is \(namespace), the namespace the program started in")
        }
        return .pass("\(namespace), NSpid \(pids.map(String.init).joined(separator: " "))")
    }

    // After new-pid-namespace: the grader's own wrapper is PID 1 of a throwaway
    // namespace with a fresh /proc, so without a namespace of its own a
    // pass-through program would still see itself there.
    static let ownProc = Check(
        id: "04.own-proc", title: "/proc inside is the new namespace's (/proc/self is the command's own pid)",
        points: 15, dependsOn: ["04.new-pid-namespace"],
        hint: "/proc inside belongs to another PID namespace (/proc/self is not the pid the command sees as"
            + " its own): in the child, make / private (MS_REC|MS_PRIVATE) and mount a new proc on /proc."
    ) { context in
        // exec keeps the pid: readlink /proc/self names the shell's own pid, as this /proc numbers it.
        let script = "echo $$; ls /proc | grep -c '^[0-9]'; exec readlink /proc/self"
        let result = try ContainedPIDRun(context, ["--quiet", "--", "/bin/sh", "-c", script]).finish(context)
        let lines = result.stdout.split(separator: "\n").map { $0.trimmingWhitespace() }
        guard result.status == .exited(0), lines.count == 3, lines[0] == lines[2], let count = Int(lines[1]),
            count <= 10
        else {
            return .fail("$$, pids in /proc, /proc/self: \(lines.joined(separator: ", ")); \(summary(result))")
        }
        return .pass("/proc/self = \(lines[0]) = $$; \(count) pids in /proc")
    }

    static let exitStatus = Check(
        id: "04.exit-status", title: "the command's status is passed on (128+N when signal N killed it)",
        points: 10, dependsOn: ["04.runs"],
        hint: "exit with the command's status: WEXITSTATUS when it exited, 128 + WTERMSIG when a signal killed"
            + " it, in the init and again in the program that waits for the init."
    ) { context in
        let exited = try ContainedPIDRun(context, ["--quiet", "--", "/bin/sh", "-c", "exit 7"]).finish(context)
        let killed = try ContainedPIDRun(context, ["--quiet", "--", "/bin/sh", "-c", "kill -KILL $$"]).finish(
            context)
        guard exited.status == .exited(7), killed.status == .exited(137) else {
            return .fail("exit 7 gave \(summary(exited)); kill -KILL gave \(summary(killed)) (expected 137)")
        }
        return .pass("7 and 137")
    }

    /// Makes an orphan (the subshell exits, its background sleep is re-parented
    /// to the namespace's PID 1), then watches the orphan until it is gone; a
    /// zombie that stays 5 s means PID 1 does not reap.
    static let orphanScript =
        "o=$( (sleep 0.1 >/dev/null 2>&1 & echo $!) ); i=0; s=R; while [ $i -lt 100 ]; do"
        + " s=$(sed -n 's/^State:[[:space:]]*\\(.\\).*/\\1/p' /proc/$o/status 2>/dev/null); [ -z \"$s\" ] && break;"
        + " i=$((i+1)); sleep 0.05; done; echo \"orphan $o: ${s:-reaped}\""

    static let reaps = Check(
        id: "04.reaps-zombies", title: "orphans are re-parented to PID 1 and reaped (no zombie stays)", points: 15,
        dependsOn: ["04.own-proc"],
        hint: "an orphan stayed a zombie: PID 1 must wait for every child, not only the command. Loop on"
            + " waitpid(-1, &status, WNOHANG) whenever SIGCHLD arrives, until the command itself has exited."
    ) { context in
        let result = try ContainedPIDRun(context, ["--quiet", "--", "/bin/sh", "-c", orphanScript]).finish(context)
        let line = result.stdout.trimmingWhitespace()
        guard line.hasSuffix(": reaped") else { return .fail("\(quoted(line)); \(summary(result))") }
        return .pass(line)
    }

    static let sigterm = Check(
        id: "04.sigterm", title: "SIGTERM sent to the namespace's PID 1 reaches the command", points: 15,
        dependsOn: ["04.new-pid-namespace"],
        hint: "PID 1 ignores signals it has no handler for, so SIGTERM to it did nothing: block or catch"
            + " SIGTERM in your init and send it on to the command with kill(2) (docker stop relies on this)."
    ) { context in
        let script = "trap 'echo got-term; exit 0' TERM; echo $$; while :; do sleep 0.1; done"
        let run = try ContainedPIDRun(context, ["--quiet", "--", "/bin/sh", "-c", script])
        let line = run.child.readLine(timeout: context.timeout) ?? ""
        guard let inner = pid_t(line.trimmingWhitespace()), let command = run.find(innerPid: inner),
            let namespace = try? NamespaceID.of(pid: "\(command)", .pid),
            let pidOne = ProcessTable.descendants(of: run.child.pid).first(where: {
                ProcessTable.nspid($0).last == 1 && (try? NamespaceID.of(pid: "\($0)", .pid)) == namespace
            })
        else {
            _ = run.finish(context)
            return .fail("could not find the command and its PID 1 (it printed \(quoted(line)))")
        }
        _ = kill(pidOne, SIGTERM)
        let reply = run.child.readLine(timeout: 5) ?? ""
        let result = run.child.finish(timeout: 2)
        guard reply == "got-term", result.status == .exited(0) else {
            return .fail("after SIGTERM to PID 1 (\(pidOne) here): \(quoted(reply)), \(summary(result))")
        }
        return .pass("SIGTERM to \(pidOne) (PID 1) reached the command; status 0")
    }

    static let mountsUnchanged = Check(
        id: "04.mounts-unchanged", title: "the mount table outside is unchanged after the run", points: 5,
        dependsOn: ["04.runs"],
        hint: "the program changed the mounts of the namespace it started in: clone with CLONE_NEWNS and make"
            + " / private before mounting proc, or the new /proc covers the host's."
    ) { context in
        let result = try ContainedPIDRun(context, ["--quiet", "--", "/bin/true"]).finish(context)
        guard ContainedPIDRun.mountsUnchanged(result) else {
            return .fail("the starting namespace's mountinfo changed (\(quoted(result.report))); \(summary(result))")
        }
        return .pass("mountinfo unchanged")
    }
}

extension Lab04 {
    static let json = Check(
        id: "04.json", title: "--json reports the namespace's PID 1 inside and outside as the kernel sees it",
        points: 10, dependsOn: ["04.new-pid-namespace"],
        hint: "with --json, print one JSON object as the first stdout line, before the command's output:"
            + " {\"inside\":{\"pid\":1,\"pid_ns\":\"pid:[I]\"},\"outside\":{\"pid\":P,\"pid_ns\":\"pid:[O]\"}},"
            + " P = the child's pid as clone returned it, the inodes as readlink(/proc/PID/ns/pid) shows them."
    ) { context in
        let run = try ContainedPIDRun(context, ["--json", "--"] + waiting)
        let first = run.child.readLine(timeout: context.timeout) ?? ""
        let line = run.child.readLine(timeout: context.timeout) ?? ""
        defer { _ = run.finish(context) }
        guard let record = try? JSON.parse(first) else {
            return .fail("the first stdout line is not JSON: \(quoted(first))")
        }
        guard let inner = pid_t(line.trimmingWhitespace()), let command = run.find(innerPid: inner) else {
            return .fail("could not find the command (it printed \(quoted(line)))")
        }
        let namespace = try NamespaceID.of(pid: "\(command)", .pid)
        let pidOne = ProcessTable.descendants(of: run.child.pid).first {
            ProcessTable.nspid($0).last == 1 && (try? NamespaceID.of(pid: "\($0)", .pid)) == namespace
        }
        let expectedOutside = pidOne.map { ProcessTable.nspid($0) }.flatMap { $0.count >= 2 ? $0[$0.count - 2] : nil }
        let inside = record["inside"]
        let outside = record["outside"]
        guard inside?["pid_ns"]?.stringValue == namespace.description, inside?["pid"]?.intValue == 1 else {
            return .fail("inside is \(inside?.rendered() ?? "missing"); the command's namespace is \(namespace)")
        }
        guard outside?["pid_ns"]?.stringValue == run.startingNamespace.description,
            let expectedOutside, outside?["pid"]?.intValue == Int(expectedOutside)
        else {
            return .fail(
                "outside is \(outside?.rendered() ?? "missing"); expected pid \(expectedOutside.map(String.init) ?? "?")"
                    + " in \(run.startingNamespace)")
        }
        return .pass("inside pid 1 in \(namespace), outside pid \(expectedOutside) in \(run.startingNamespace)")
    }
}
