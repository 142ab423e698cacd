import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 07: a network namespace wired to its host by a veth pair.
///
/// Contract: `IMPL [--quiet | --json] veth -- CMD [ARGS...]` runs CMD in a new
/// network namespace that holds `lo` (up) and one end of a veth pair with an
/// IPv4 address; the other end, with an address on the same subnet, is up in
/// the namespace IMPL was started in. It exits with CMD's status and leaves no
/// link or address behind, also when IMPL itself is killed with SIGKILL.
/// --json prints, as the first line of stdout, one JSON object with `host` and
/// `inside`, each `{"interface": NAME, "address": "A.B.C.D/LEN"}`.
///
/// Every run happens inside a throwaway network namespace made by the grader:
/// the implementation's "host" is that namespace, so a wrong implementation
/// can leave links and addresses only there, and never on the real host.
enum Lab07 {
    static let lab = Lab(
        number: "07", slug: "07-net", title: "Network namespace: a veth pair to the host", reference: "sb-net",
        contract: "IMPL [--quiet | --json] veth -- CMD [ARGS...]",
        checks: [runs, newNamespace, interfaces, loopbackUp, json, ping, cleanupAfterExit, cleanupAfterKill],
        starterSources: ["Sources/sb-net"], needsRootfs: false)

    static let runs = Check(
        id: "07.runs", title: "the command runs, prints and its exit status comes back", points: 10,
        hint: "accept `veth -- CMD ARGS...`, run CMD with its arguments, wait for it and exit with its status"
            + " (here 3). Status 125 means the setup failed before CMD ran: its stderr is shown above."
    ) { context in
        let run = try ContainedNetRun(
            Probe(context: context), ["--quiet", "veth", "--", "/bin/sh", "-c", "echo sbgrade-net; exit 3"])
        let result = run.finish(timeout: context.timeout)
        guard result.status == .exited(3), result.stdout.contains("sbgrade-net") else {
            return .fail("expected sbgrade-net and status 3; got stdout \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("printed sbgrade-net, exited 3")
    }

    static let newNamespace = Check(
        id: "07.new-namespace", title: "the command runs in a new network namespace (/proc/PID/ns/net)", points: 15,
        dependsOn: ["07.runs"],
        hint: "the command shares the network namespace the program was started in: clone(2) it with"
            + " CLONE_NEWNET (or unshare(CLONE_NEWNET) in the child before exec)."
    ) { context in
        let run = try ContainedNetRun(Probe(context: context), ["--quiet", "veth", "--"] + Probe.waitingPayload)
        let (inode, _) = try run.inspect(timeout: context.timeout) { pid in try NamespaceID.of(pid: "\(pid)", .net) }
        return .newNamespace(inode, startedIn: run.startingNamespace, .net)
    }

    static let interfaces = Check(
        id: "07.interfaces", title: "inside: exactly lo and one veth end", points: 15,
        dependsOn: ["07.new-namespace"],
        hint: "inside the namespace there should be lo and the veth end, nothing else: create the pair with"
            + " `ip link add HOST type veth peer name eth0 netns PID` (or move the end with `ip link set END netns PID`)."
    ) { context in
        let links = try linksInside(context)
        let others = links.filter { $0.name != "lo" }
        guard links.contains(where: { $0.name == "lo" }), others.count == 1, others[0].isVeth else {
            return .fail("inside: \(links.map(\.description).joined(separator: ", "))")
        }
        return .pass("lo and \(others[0].name) (veth)")
    }

    static let loopbackUp = Check(
        id: "07.lo-up", title: "inside: lo is up", points: 10,
        dependsOn: ["07.new-namespace"],
        hint: "a new network namespace's lo is down: even 127.0.0.1 does not work until `ip link set lo up`"
            + " runs inside the namespace."
    ) { context in
        let links = try linksInside(context)
        guard let lo = links.first(where: { $0.name == "lo" }), lo.isUp else {
            return .fail("inside: \(links.map(\.description).joined(separator: ", "))")
        }
        return .pass("lo UP")
    }

    /// The links in the command's namespace, seen while it waits.
    static func linksInside(_ context: GradeContext) throws -> [NetView.Link] {
        let run = try ContainedNetRun(Probe(context: context), ["--quiet", "veth", "--"] + Probe.waitingPayload)
        return try run.inspect(timeout: context.timeout) { pid in try NetView.links(of: pid) }.value
    }

    static let json = Check(
        id: "07.json", title: "--json reports both ends, and the kernel has those addresses on them", points: 15,
        dependsOn: ["07.interfaces"],
        hint: "with --json, print first {\"host\":{\"interface\":NAME,\"address\":\"A.B.C.D/LEN\"},\"inside\":{...}},"
            + " and give each end that address (`ip addr add A.B.C.D/LEN dev NAME`, inside for the inside end)."
    ) { context in
        let run = try ContainedNetRun(Probe(context: context), ["--json", "veth", "--"] + Probe.waitingPayload)
        let line = run.child.readLine(timeout: context.timeout) ?? ""
        guard let record = try? JSON.parse(line) else {
            let result = run.finish(timeout: context.timeout)
            return .fail("the first stdout line is not JSON: \(quoted(line)); \(summary(result))")
        }
        let ends = (host: NetView.End(record["host"]), inside: NetView.End(record["inside"]))
        let (addresses, _) = try run.inspect(timeout: context.timeout) { pid in
            (host: try NetView.addresses(of: run.child.pid), inside: try NetView.addresses(of: pid))
        }
        guard let host = ends.host, addresses.host.contains(host.description) else {
            return .fail("host end \(record["host"]?.rendered() ?? "missing"); host side has \(addresses.host)")
        }
        guard let inside = ends.inside, addresses.inside.contains(inside.description) else {
            return .fail("inside end \(record["inside"]?.rendered() ?? "missing"); inside has \(addresses.inside)")
        }
        return .pass("host \(host), inside \(inside)")
    }

    static let ping = Check(
        id: "07.ping", title: "ping works both ways through the veth pair", points: 15,
        dependsOn: ["07.json"],
        hint: "the addresses are there but no packet passes: bring both veth ends up (`ip link set NAME up`,"
            + " one on each side) and put both addresses in the same subnet."
    ) { context in
        let run = try ContainedNetRun(Probe(context: context), ["--json", "veth", "--"] + Probe.waitingPayload)
        let record = try JSON.parse(run.child.readLine(timeout: context.timeout) ?? "")
        guard let host = NetView.End(record["host"]), let inside = NetView.End(record["inside"]) else {
            return .fail("no host/inside addresses in \(record.rendered())")
        }
        let (answers, _) = try run.inspect(timeout: context.timeout) { pid in
            (
                out: try NetView.ping(host.address, from: pid),
                back: try NetView.ping(inside.address, from: run.child.pid)
            )
        }
        guard answers.out, answers.back else {
            return .fail(
                "inside → \(host.address): \(answers.out ? "ok" : "no answer"); "
                    + "host → \(inside.address): \(answers.back ? "ok" : "no answer")")
        }
        return .pass("inside → \(host.address) and host → \(inside.address) answered")
    }

    // Both cleanup checks come after interfaces: "nothing left" is only worth points once something was made.
    static let cleanupAfterExit = Check(
        id: "07.cleanup-exit", title: "after the run no veth, bridge or address is left", points: 10,
        dependsOn: ["07.interfaces"],
        hint: "something keeps the namespace or a link alive after the command ended: delete the host end"
            + " (`ip link del NAME`), kill any process that holds the namespace, delete any bridge you made."
    ) { context in
        let run = try ContainedNetRun(Probe(context: context), ["--quiet", "veth", "--", "/bin/true"])
        let result = run.finish(timeout: context.timeout)
        // A run that timed out was killed with its whole process group: its
        // leftovers died with it, so this run proves nothing either way.
        guard !result.timedOut else { return .fail("the run timed out after \(context.timeout) s and was killed") }
        let left = ContainedNetRun.leftovers(result)
        guard left.isEmpty else { return .fail("left behind: \(left.joined(separator: "; "))") }
        return .pass("only lo remains, no addresses")
    }

    static let cleanupAfterKill = Check(
        id: "07.cleanup-killed", title: "after SIGKILL to the implementation nothing is left either", points: 10,
        dependsOn: ["07.interfaces"],
        hint: "SIGKILL cannot be caught, so cleanup must not depend on your process: let the command itself hold"
            + " the namespace (the kernel deletes a veth pair when its namespace dies), or give any helper that"
            + " holds it PR_SET_PDEATHSIG(SIGKILL)."
    ) { context in
        let run = try ContainedNetRun(Probe(context: context), ["--quiet", "veth", "--"] + Probe.waitingPayload)
        let (victim, result) = try run.inspect(timeout: context.timeout) { pid in
            // The implementation is the payload's parent, or the payload itself if it exec'd it.
            let parent = ProcFile.field("PPid", in: try ProcFile.read("/proc/\(pid)/status")).flatMap { pid_t($0) }
            let victim = parent.flatMap { $0 == run.child.pid ? nil : $0 } ?? pid
            kill(victim, SIGKILL)
            return victim
        }
        // A run that timed out was killed with its whole process group: its
        // leftovers died with it, so this run proves nothing either way.
        guard !result.timedOut else { return .fail("the run timed out after \(context.timeout) s and was killed") }
        let left = ContainedNetRun.leftovers(result)
        guard left.isEmpty else { return .fail("after SIGKILL to pid \(victim): \(left.joined(separator: "; "))") }
        return .pass("SIGKILL to pid \(victim); once the command ended, only lo remained")
    }
}
