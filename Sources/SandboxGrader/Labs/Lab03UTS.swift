import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 03 (UTS part): a hostname of one's own.
///
/// Contract: `IMPL [--method unshare|clone] [--quiet | --json] --hostname NAME -- CMD [ARGS...]`
/// runs CMD in a new UTS namespace whose hostname is NAME and exits with CMD's
/// status. --json prints, as the first line of stdout, one JSON object with
/// `inside` and `outside`, each `{"hostname": ..., "uts": "uts:[INODE]"}`.
/// A hostname longer than 64 bytes is refused with a non-zero status.
///
/// Every run happens inside a throwaway UTS namespace made by the grader, so
/// an implementation that forgets unshare renames that namespace, not the host.
enum Lab03 {
    static let lab = Lab(
        number: "03", slug: "03-uts-ipc", title: "UTS namespace: a hostname of one's own", reference: "sb-uts",
        contract: "IMPL [--method unshare|clone] [--quiet | --json] --hostname NAME -- CMD [ARGS...]",
        checks: [runs, newNamespace, startingUnchanged, clone, json, longHostname],
        starterSources: ["Sources/sb-uts"], needsRootfs: false)

    /// A hostname no machine has, so seeing it proves the implementation set it.
    static let name = "sbgrade-\(getpid())"

    static let runs = Check(
        id: "03.uts.runs", title: "the command runs and sees the new hostname", points: 10,
        hint: "the command should print NAME from /proc/sys/kernel/hostname: call sethostname(2) with NAME"
            + " before execve, and exec the command given after --."
    ) { context in
        let run = try ContainedUTSRun(
            Probe(context: context), ["--quiet", "--hostname", name, "--", "/bin/cat", "/proc/sys/kernel/hostname"])
        let result = run.child.finish(timeout: context.timeout)
        guard result.status == .exited(0), result.stdout.trimmingWhitespace() == name else {
            return .fail("expected \(name) and status 0; got stdout \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("the command printed \(name)")
    }

    static let newNamespace = Check(
        id: "03.uts.new-namespace", title: "the command runs in a new UTS namespace (/proc/PID/ns/uts)", points: 25,
        dependsOn: ["03.uts.runs"],
        hint: "the command ran in the UTS namespace the program was started in: call unshare(CLONE_NEWUTS)"
            + " before sethostname(2). On a real host this would have renamed the machine."
    ) { context in
        let run = try ContainedUTSRun(
            Probe(context: context), ["--quiet", "--hostname", name, "--"] + Probe.waitingPayload)
        let (inode, _) = try Probe.inspect(run.child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try NamespaceID.of(pid: "\(pid)", .uts)
        }
        return .newNamespace(inode, startedIn: run.startingNamespace, .uts)
    }

    static let startingUnchanged = Check(
        id: "03.uts.starting-hostname-unchanged", title: "the hostname outside the new namespace is unchanged",
        points: 20,
        dependsOn: ["03.uts.runs"],
        hint: "the hostname of the namespace the program started in changed: sethostname(2) ran before"
            + " unshare(CLONE_NEWUTS), or in the parent instead of the child."
    ) { context in
        let before = Sys.hostname()
        let run = try ContainedUTSRun(Probe(context: context), ["--quiet", "--hostname", name, "--", "/bin/true"])
        let result = run.child.finish(timeout: context.timeout)
        let after = ContainedUTSRun.hostnameAfter(result)
        guard after == before else { return .fail("outside hostname went from \(before) to \(quoted(after))") }
        return .pass("still \(after)")
    }

    static let clone = Check(
        id: "03.uts.clone", title: "--method clone: the child is cloned into a new UTS namespace", points: 20,
        dependsOn: ["03.uts.new-namespace"],
        hint: "with --method clone, pass CLONE_NEWUTS to clone(2) and set the hostname in the child, before it"
            + " execs; the parent stays in the old namespace and waits."
    ) { context in
        let run = try ContainedUTSRun(
            Probe(context: context),
            [
                "--quiet", "--method", "clone", "--hostname", name, "--", "/bin/sh", "-c",
                "cat /proc/sys/kernel/hostname; echo $$; read line || true",
            ])
        let before = Sys.hostname()
        var seen = ""
        let (inode, result) = try Probe.inspect(run.child, timeout: context.timeout, skipLines: 1) { pid, skipped in
            seen = skipped.first ?? ""
            return try NamespaceID.of(pid: "\(pid)", .uts)
        }
        let after = ContainedUTSRun.hostnameAfter(result)
        guard inode != run.startingNamespace else {
            return .fail("the child's \(inode) is the namespace the program started in")
        }
        guard seen == name else { return .fail("the child saw hostname \(quoted(seen)), expected \(name)") }
        guard after == before else { return .fail("outside hostname went from \(before) to \(quoted(after))") }
        guard result.status == .exited(0) else { return .fail("the implementation \(summary(result))") }
        return .pass("child in \(inode), hostname \(name); outside still \(after)")
    }

    static let json = Check(
        id: "03.uts.json", title: "--json reports inside/outside hostname and namespace as the kernel sees them",
        points: 15,
        dependsOn: ["03.uts.new-namespace"],
        hint: "with --json, print one JSON object as the first stdout line, before the command's output:"
            + " {\"inside\":{\"hostname\":NAME,\"uts\":\"uts:[INODE]\"},\"outside\":{...}}, uts as readlink(/proc/self/ns/uts) shows it."
    ) { context in
        let run = try ContainedUTSRun(
            Probe(context: context), ["--json", "--hostname", name, "--"] + Probe.waitingPayload)
        // The record must come first: judge it before waiting for the pid line.
        let line = run.child.readLine(timeout: context.timeout) ?? ""
        let record: JSON
        do {
            record = try JSON.parse(line)
        } catch {
            let result = run.child.finish(timeout: context.timeout)
            return .fail("the first stdout line is not JSON (\(error)): \(quoted(line)); \(summary(result))")
        }
        let (inode, _) = try Probe.inspect(run.child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try NamespaceID.of(pid: "\(pid)", .uts)
        }
        let inside = record["inside"]
        let outside = record["outside"]
        guard inside?["uts"]?.stringValue == inode.description else {
            return .fail(
                "inside.uts is \(inside?["uts"]?.rendered() ?? "missing"), the command's namespace is \(inode)")
        }
        guard outside?["uts"]?.stringValue == run.startingNamespace.description else {
            return .fail(
                "outside.uts is \(outside?["uts"]?.rendered() ?? "missing"), the starting namespace is \(run.startingNamespace)"
            )
        }
        guard inside?["hostname"]?.stringValue == name else {
            return .fail("inside.hostname is \(inside?["hostname"]?.rendered() ?? "missing"), expected \(name)")
        }
        return .pass("inside \(inode), outside \(run.startingNamespace)")
    }

    static let longHostname = Check(
        id: "03.uts.long-hostname", title: "a hostname over 64 bytes is refused, nothing changed", points: 10,
        dependsOn: ["03.uts.runs"],
        hint: "a hostname is at most 64 bytes (HOST_NAME_MAX; sethostname fails with EINVAL): refuse a longer one"
            + " with a clear error on stderr and a non-zero status, and do not run the command."
    ) { context in
        let long = String(repeating: "h", count: 65)
        let before = Sys.hostname()
        let run = try ContainedUTSRun(
            Probe(context: context), ["--quiet", "--hostname", long, "--", "/bin/echo", "ran"])
        let result = run.child.finish(timeout: context.timeout)
        let after = ContainedUTSRun.hostnameAfter(result)
        guard result.status != .exited(0), !result.stdout.contains("ran"), !result.stderr.isEmpty else {
            return .fail(
                "a 65-byte hostname: \(summary(result)), stdout \(quoted(result.stdout)); expected an error and no command"
            )
        }
        guard after == before else { return .fail("outside hostname went from \(before) to \(quoted(after))") }
        return .pass("refused: \(result.status)")
    }
}
