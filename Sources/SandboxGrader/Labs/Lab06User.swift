import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 06: the user namespace, root inside and an ordinary user outside.
///
/// Contract: `IMPL [--uid-map IN:OUT[:COUNT] [--gid-map IN:OUT[:COUNT]]] [--quiet | --json] -- CMD [ARGS...]`
/// runs CMD in a new user namespace and exits with CMD's status. By default
/// (no map option) the maps are `0 EUID 1` and `0 EGID 1` and CMD runs as uid
/// and gid 0 inside. The PARENT writes the maps, before CMD runs; when the
/// parent lacks CAP_SETGID it writes "deny" to /proc/PID/setgroups first.
/// --json prints, as the first stdout line, one object with
/// `inside: {"user": "user:[INODE]", "uid_map": "0 1000 1", ...}` and
/// `outside: {"uid": N, "gid": N, "user": "user:[INODE]"}`.
///
/// Runs as the grader's user, and as nobody (setpriv) for the rootless checks.
enum Lab06 {
    static let lab = Lab(
        number: "06", slug: "06-user", title: "User namespace: root inside, a user outside", reference: "sb-user",
        contract: "IMPL [--uid-map IN:OUT[:COUNT] [--gid-map IN:OUT[:COUNT]]] [--quiet | --json] -- CMD [ARGS...]",
        checks: [runs, newNamespace, uidMap, gidMap, explicitMap, rootless, setgroupsDeny, json],
        starterSources: ["Sources/sb-user"], needsRootfs: false)

    static var euid: UInt32 { UInt32(geteuid()) }
    static var egid: UInt32 { UInt32(getegid()) }

    static let runs = Check(
        id: "06.runs", title: "the command runs and its exit status is passed on", points: 10,
        hint: "exec the command given after -- in the child, wait for it in the parent and exit with its status"
            + " (here 3). A write to uid_map or gid_map that fails stops everything: read the error on stderr."
    ) { context in
        let result = try Probe(context: context).run(["--quiet", "--", "/bin/sh", "-c", "echo ran; exit 3"])
        guard result.status == .exited(3), result.stdout.trimmingWhitespace() == "ran" else {
            return .fail("expected \"ran\" and status 3; got stdout \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("printed ran, exited 3")
    }

    static let newNamespace = Check(
        id: "06.new-namespace", title: "the command runs in a new user namespace (/proc/PID/ns/user)", points: 10,
        dependsOn: ["06.runs"],
        hint: "pass CLONE_NEWUSER to clone(2) (or unshare(2) it in the child before exec); the command is still"
            + " in the grader's user namespace."
    ) { context in
        let run = try UserRun.observe(Probe(context: context), ["--quiet"])
        let ours = try NamespaceID.of(.user)
        guard run.outside.user != ours else { return .fail("/proc/PID/ns/user is \(ours), the grader's own") }
        return .pass("\(run.outside.user), the grader is in \(ours)")
    }

    static let uidMap = Check(
        id: "06.uid-map", title: "uid 0 inside is the caller's uid outside (uid_map, status Uid:)", points: 15,
        dependsOn: ["06.new-namespace"],
        hint: "from the parent, write \"0 EUID 1\" to /proc/CHILD/uid_map before the child runs the command, then"
            + " have the child call setresuid(0, 0, 0) (after the gids) so `id -u` prints 0."
    ) { context in
        let run = try UserRun.observe(Probe(context: context), ["--quiet"])
        let expected = [IDMapping(inside: 0, outside: euid)]
        guard run.outside.uidMap == expected else {
            return .fail("uid_map is \(UserRun.text(run.outside.uidMap)), expected \(UserRun.text(expected))")
        }
        guard run.insideUID == "0" else { return .fail("the command's `id -u` printed \(quoted(run.insideUID))") }
        guard run.outside.statusUIDs.allSatisfy({ $0 == "\(euid)" }), run.outside.statusUIDs.count == 4 else {
            return .fail("/proc/PID/status Uid: \(run.outside.statusUIDs), expected \(euid) four times")
        }
        return .pass("inside uid 0, outside Uid: \(euid), uid_map \(UserRun.text(expected))")
    }

    static let gidMap = Check(
        id: "06.gid-map", title: "gid 0 inside is the caller's gid outside (gid_map)", points: 10,
        dependsOn: ["06.new-namespace"],
        hint: "write \"0 EGID 1\" to /proc/CHILD/gid_map (after setgroups \"deny\" when unprivileged), and have"
            + " the child call setresgid(0, 0, 0) before setresuid, so `id -g` prints 0."
    ) { context in
        let run = try UserRun.observe(Probe(context: context), ["--quiet"])
        let expected = [IDMapping(inside: 0, outside: egid)]
        guard run.outside.gidMap == expected else {
            return .fail("gid_map is \(UserRun.text(run.outside.gidMap)), expected \(UserRun.text(expected))")
        }
        guard run.insideGID == "0" else { return .fail("the command's `id -g` printed \(quoted(run.insideGID))") }
        return .pass("inside gid 0, gid_map \(UserRun.text(expected))")
    }

    static let explicitMap = Check(
        id: "06.explicit-map", title: "--uid-map/--gid-map write the map asked for", points: 15,
        dependsOn: ["06.uid-map"],
        hint: "parse --uid-map IN:OUT[:COUNT] and --gid-map the same way and write exactly those lines (\"IN OUT"
            + " COUNT\"); the command becomes uid 0 inside and the host sees OUT."
    ) { context in
        // As root the grader asks for an id that is nobody's (like Docker's userns-remap);
        // a user may map only its own.
        let (uid, gid) = UserRun.graderIsRoot ? (UInt32(100_000), UInt32(100_000)) : (euid, egid)
        let run = try UserRun.observe(
            Probe(context: context), ["--quiet", "--uid-map", "0:\(uid):1", "--gid-map", "0:\(gid):1"])
        let (uids, gids) = ([IDMapping(inside: 0, outside: uid)], [IDMapping(inside: 0, outside: gid)])
        guard run.outside.uidMap == uids, run.outside.gidMap == gids else {
            return .fail(
                "asked 0:\(uid):1 and 0:\(gid):1; uid_map is \(UserRun.text(run.outside.uidMap)),"
                    + " gid_map \(UserRun.text(run.outside.gidMap))")
        }
        guard run.insideUID == "0", run.outside.statusUIDs.first == "\(uid)" else {
            return .fail("inside uid \(quoted(run.insideUID)), outside Uid: \(run.outside.statusUIDs)")
        }
        return .pass("uid_map \(UserRun.text(uids)); the host sees uid \(uid)")
    }

    static let rootless = Check(
        id: "06.rootless", title: "rootless: run by an unprivileged user, root inside, that user outside",
        points: 20, dependsOn: ["06.uid-map"],
        hint: "EPERM on gid_map: an unprivileged parent must write \"deny\" to /proc/PID/setgroups BEFORE gid_map"
            + " (CVE-2014-8989). EPERM on clone: unprivileged user namespaces are off (sb-doctor 06). EACCES"
            + " starting it: the implementation must be readable by that user (not under a private home)."
    ) { context in
        let id = UserRun.unprivilegedID
        let run = try UserRun.observe(Probe(context: context), ["--quiet"], unprivileged: true)
        guard run.outside.uidMap == [IDMapping(inside: 0, outside: id)] else {
            return .fail("uid_map is \(UserRun.text(run.outside.uidMap)), expected 0 \(id) 1")
        }
        guard run.insideUID == "0", run.outside.statusUIDs.first == "\(id)" else {
            return .fail("inside uid \(quoted(run.insideUID)), outside Uid: \(run.outside.statusUIDs)")
        }
        guard run.result.status == .exited(0) else { return .fail("the implementation \(summary(run.result))") }
        return .pass("run as uid \(id): uid 0 inside, Uid: \(id) outside")
    }

    static let setgroupsDeny = Check(
        id: "06.setgroups-deny", title: "rootless: setgroups is \"deny\" and gid_map maps the user's gid",
        points: 10, dependsOn: ["06.new-namespace"],
        hint: "write \"deny\" to /proc/PID/setgroups, then \"0 GID 1\" to gid_map. Without deny, an unprivileged"
            + " gid_map write fails with EPERM: a user could otherwise drop a group that restricts it (CVE-2014-8989)."
    ) { context in
        let id = UserRun.unprivilegedID
        let run = try UserRun.observe(Probe(context: context), ["--quiet"], unprivileged: true)
        guard run.outside.setgroups == "deny" else {
            return .fail("/proc/PID/setgroups is \(quoted(run.outside.setgroups)) in a rootless run")
        }
        guard run.outside.gidMap == [IDMapping(inside: 0, outside: id)] else {
            return .fail("gid_map is \(UserRun.text(run.outside.gidMap)), expected 0 \(id) 1")
        }
        return .pass("setgroups deny, gid_map 0 \(id) 1")
    }

    static let json = Check(
        id: "06.json", title: "--json reports the namespaces, ids and maps as the kernel sees them", points: 10,
        dependsOn: ["06.new-namespace"],
        hint: "with --json, print one JSON object as the first stdout line: {\"inside\":{\"user\":\"user:[INODE]\","
            + "\"uid_map\":\"0 EUID 1\",...},\"outside\":{\"uid\":EUID,\"gid\":EGID,\"user\":\"user:[INODE]\"}};"
            + " read the map back from /proc/PID/uid_map after writing it."
    ) { context in
        let child = try ChildProcess(Probe(context: context).request(["--json", "--"] + Probe.waitingPayload))
        let line = child.readLine(timeout: context.timeout) ?? ""
        guard let record = try? JSON.parse(line) else {
            return .fail("the first stdout line is not JSON: \(quoted(line)); \(summary(child.finish(timeout: 5)))")
        }
        let (outside, _) = try Probe.inspect(child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try UserRun.readOutside(pid: pid)
        }
        let inside = record["inside"]
        let ours = try NamespaceID.of(.user)
        var wrong: [String] = []
        if inside?["user"]?.stringValue != outside.user.description { wrong.append("inside.user") }
        if record["outside"]?["user"]?.stringValue != ours.description { wrong.append("outside.user") }
        if record["outside"]?["uid"]?.intValue != Int(euid) { wrong.append("outside.uid") }
        if IDMapping.parse(inside?["uid_map"]?.stringValue ?? "") != outside.uidMap { wrong.append("inside.uid_map") }
        guard wrong.isEmpty else {
            return .fail("wrong or missing: \(wrong.joined(separator: ", ")); record \(line.prefix(300))")
        }
        return .pass("inside \(outside.user), outside \(ours), uid_map \(UserRun.text(outside.uidMap))")
    }
}
