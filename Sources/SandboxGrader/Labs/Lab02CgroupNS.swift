import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 02 (cgroupns part): a cgroup namespace makes one's own cgroup the root.
///
/// Contract: `IMPL [--quiet | --json] -- CMD [ARGS...]` runs CMD in a new cgroup
/// namespace whose root is the cgroup IMPL was started in, and exits with CMD's
/// status. --json prints, as the first line of stdout, one JSON object with
/// `inside` and `outside`, each `{"cgroupns":"cgroup:[INODE]","path":P}`, P
/// being the path on the "0::" line of /proc/self/cgroup.
///
/// The grader starts the implementation in a cgroup of its own under
/// sandboxlabs/ (cgroup v2), so "/" inside differs from the path outside, and
/// removes that cgroup afterwards.
enum Lab02CgroupNS {
    static let lab = Lab(
        number: "02-cgroupns", slug: "02-namespaces-api", title: "The namespace APIs: cgroup namespace",
        reference: "sb-cgroupns", contract: "IMPL [--quiet | --json] -- CMD [ARGS...]",
        checks: [runs, newNamespace, rootView, json], starterSources: ["Sources/sb-cgroupns"], needsRootfs: false)

    /// Starts IMPL with `arguments` inside a fresh scratch cgroup.
    static func start(_ context: GradeContext, _ arguments: [String]) throws -> (ChildProcess, ScratchCgroup) {
        let cgroup = try ScratchCgroup()
        let child = try ChildProcess(Probe(context: context).request(arguments)) { pid in try cgroup.add(pid) }
        return (child, cgroup)
    }

    /// The path on the "0::" line of a /proc/PID/cgroup text.
    static func unifiedPath(_ text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    static let runs = Check(
        id: "02.cgroupns.runs", title: "the command runs and its exit status is passed on", points: 10,
        hint: "exec the command given after -- once the namespace is made; its status becomes yours."
    ) { context in
        let result = try Probe(context: context).run(["--quiet", "--", "/bin/sh", "-c", "echo ran; exit 5"])
        guard result.status == .exited(5), result.stdout.trimmingWhitespace() == "ran" else {
            return .fail("expected \"ran\" and status 5: \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("printed ran, exited 5")
    }

    static let newNamespace = Check(
        id: "02.cgroupns.new-namespace", title: "the command runs in a new cgroup namespace (/proc/PID/ns/cgroup)",
        points: 30, dependsOn: ["02.cgroupns.runs"],
        hint: "call unshare(CLONE_NEWCGROUP) before execve (or clone the command with CLONE_NEWCGROUP)."
    ) { context in
        let (child, cgroup) = try start(context, ["--quiet", "--"] + Probe.waitingPayload)
        let (inode, _) = try Probe.inspect(child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try NamespaceID.of(pid: "\(pid)", .cgroup)
        }
        _ = cgroup
        guard inode != (try NamespaceID.of(.cgroup)) else { return .fail("the command is in our \(inode)") }
        return .pass("\(inode)")
    }

    static let rootView = Check(
        id: "02.cgroupns.root-view", title: "inside, /proc/self/cgroup shows 0::/ while outside it is the real path",
        points: 40, dependsOn: ["02.cgroupns.new-namespace"],
        hint: "the namespace's root is the cgroup the process is in when it calls unshare: unshare in the process"
            + " that will exec the command, after it is in its cgroup, not before being moved."
    ) { context in
        let payload = ["/bin/sh", "-c", "cat /proc/self/cgroup; echo; echo $$; read line || true"]
        let (child, cgroup) = try start(context, ["--quiet", "--"] + payload)
        var lines: [String] = []
        while let line = child.readLine(timeout: context.timeout), !line.isEmpty { lines.append(line) }
        let (outside, _) = try Probe.inspect(child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try ProcFile.read("/proc/\(pid)/cgroup")
        }
        let inside = unifiedPath(lines.joined(separator: "\n"))
        guard unifiedPath(outside) == cgroup.path else {
            return .fail("outside, the command's cgroup is \(unifiedPath(outside) ?? "?"), expected \(cgroup.path)")
        }
        guard inside == "/" else { return .fail("inside, the 0:: line shows \(inside ?? "nothing"), expected /") }
        return .pass("inside 0::/, outside 0::\(cgroup.path)")
    }

    static let json = Check(
        id: "02.cgroupns.json", title: "--json reports inside/outside namespace and path", points: 20,
        dependsOn: ["02.cgroupns.root-view"],
        hint: "with --json, print one JSON object as the first stdout line: {\"inside\":{\"cgroupns\":\"cgroup:[N]\","
            + "\"path\":\"/\"},\"outside\":{\"cgroupns\":...,\"path\":...}}, read before and after unshare."
    ) { context in
        let (child, cgroup) = try start(context, ["--json", "--"] + Probe.waitingPayload)
        let line = child.readLine(timeout: context.timeout) ?? ""
        guard let record = try? JSON.parse(line) else {
            return .fail("the first stdout line is not JSON: \(quoted(line))")
        }
        let (inode, _) = try Probe.inspect(child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try NamespaceID.of(pid: "\(pid)", .cgroup)
        }
        let ours = try NamespaceID.of(.cgroup)
        let seen = [
            ("inside.cgroupns", record["inside"]?["cgroupns"]?.stringValue, inode.description),
            ("inside.path", record["inside"]?["path"]?.stringValue, "/"),
            ("outside.cgroupns", record["outside"]?["cgroupns"]?.stringValue, ours.description),
            ("outside.path", record["outside"]?["path"]?.stringValue, cgroup.path),
        ]
        for (name, value, expected) in seen where value != expected {
            return .fail("\(name) is \(value ?? "missing"), expected \(expected)")
        }
        return .pass("inside \(inode) at /, outside \(ours) at \(cgroup.path)")
    }
}
