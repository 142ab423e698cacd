import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 02 (main part): inspecting namespaces, like lsns.
///
/// Contract: `IMPL [--quiet | --json] PID [PID...]` describes the namespaces
/// of each PID and exits 0; a PID that does not exist is an error (message on
/// stderr, non-zero status). --json prints one JSON object on the first line:
/// `{"processes":[{"pid":P,"namespaces":{"uts":{"inode":N,"userns":N|null,
/// "parent":N|null,"owner_uid":N|null},...}}],"shared":[KIND...],"different":[KIND...]}`
/// with an entry per kind in /proc/PID/ns (mnt uts ipc pid net user cgroup time).
///
/// The tool only reads /proc and asks ioctls, so it runs directly; the
/// processes it looks at are targets the grader starts and kills.
enum Lab02 {
    static let lab = Lab(
        number: "02", slug: "02-namespaces-api", title: "The namespace APIs: inspecting namespaces",
        reference: "sb-ns", contract: "IMPL [--quiet | --json] PID [PID...]",
        checks: [runs, inodes, owner, parent, compare, noSuchPid],
        starterSources: ["Sources/sb-ns"], needsRootfs: false)

    /// The kinds a target gets, and the user namespace owning them.
    static let nested: Set<Namespace> = [.user, .uts, .ipc, .net, .pid]

    /// Runs `IMPL --json PIDS` and returns its first line parsed.
    static func record(_ context: GradeContext, _ pids: [pid_t]) throws -> (JSON?, ChildProcess.Result) {
        let result = try Probe(context: context).run(["--json"] + pids.map { "\($0)" })
        let line = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        return (try? JSON.parse(line), result)
    }

    /// processes[index].namespaces[kind][field] as an integer.
    static func field(_ record: JSON?, _ index: Int, _ kind: Namespace, _ field: String) -> Int? {
        guard case .array(let processes)? = record?["processes"], index < processes.count else { return nil }
        return processes[index]["namespaces"]?[kind.rawValue]?[field]?.intValue
    }

    static func show(_ value: Int?) -> String { value.map { "\($0)" } ?? "missing/null" }

    static let runs = Check(
        id: "02.ns.runs", title: "IMPL PID describes a running process and exits 0", points: 10,
        hint: "take the PIDs as arguments, read /proc/PID/ns/* for each, print something and exit 0."
    ) { context in
        let target = try Lab02Target([.uts])
        let result = try Probe(context: context).run(["\(target.pid)"])
        guard result.status == .exited(0), !result.stdout.isEmpty else {
            return .fail("expected output and status 0: \(summary(result))")
        }
        return .pass("exited 0 with \(result.stdout.split(separator: "\n").count) lines")
    }

    static let inodes = Check(
        id: "02.ns.inodes", title: "--json: every namespace's inode is the one readlink /proc/PID/ns/KIND shows",
        points: 25, dependsOn: ["02.ns.runs"],
        hint: "the inode names the namespace: take it from fstat(2) of the open /proc/PID/ns/KIND (st_ino) or from"
            + " readlink (uts:[INODE]); report all eight kinds, as numbers."
    ) { context in
        let target = try Lab02Target(nested)
        let (record, result) = try record(context, [target.pid])
        guard let record else { return .fail("the first stdout line is not JSON: \(summary(result))") }
        for kind in Namespace.allCases where Sys.exists("/proc/\(target.pid)/ns/\(kind.rawValue)") {
            let expected = try target.namespace(kind).inode
            let seen = field(record, 0, kind, "inode")
            guard seen == Int(expected) else {
                return .fail("\(kind.rawValue).inode is \(show(seen)), readlink says \(expected)")
            }
        }
        return .pass("all inodes match /proc/\(target.pid)/ns")
    }

    static let owner = Check(
        id: "02.ns.owner", title: "--json: userns is the owning user namespace (NS_GET_USERNS)", points: 15,
        dependsOn: ["02.ns.inodes"],
        hint: "open /proc/PID/ns/KIND and call ioctl(fd, NS_GET_USERNS): it returns a new fd for the owning user"
            + " namespace; its inode (fstat) is `userns`. A namespace made together with a new user namespace is"
            + " owned by that one, not by ours."
    ) { context in
        let target = try Lab02Target(nested)
        let (record, result) = try record(context, [target.pid])
        guard record != nil else { return .fail("no JSON: \(summary(result))") }
        let theirs = Int(try target.namespace(.user).inode)
        let ours = Int(try NamespaceID.of(.user).inode)
        for kind in [Namespace.uts, .ipc, .net, .pid] where field(record, 0, kind, "userns") != theirs {
            return .fail("\(kind.rawValue).userns is \(show(field(record, 0, kind, "userns"))), expected \(theirs)")
        }
        guard field(record, 0, .user, "userns") == ours else {
            return .fail("user.userns is \(show(field(record, 0, .user, "userns"))), expected ours, \(ours)")
        }
        return .pass("owned by user:[\(theirs)], which is owned by user:[\(ours)]")
    }

    static let parent = Check(
        id: "02.ns.parent", title: "--json: parent of pid and user namespaces (NS_GET_PARENT), owner_uid",
        points: 15, dependsOn: ["02.ns.inodes"],
        hint: "for pid and user namespaces call ioctl(fd, NS_GET_PARENT) and report the parent's inode; other kinds"
            + " have no parent (null). For the user namespace, ioctl(fd, NS_GET_OWNER_UID) gives owner_uid."
    ) { context in
        let target = try Lab02Target(nested)
        let (record, result) = try record(context, [target.pid])
        guard record != nil else { return .fail("no JSON: \(summary(result))") }
        for kind in [Namespace.pid, .user] {
            let ours = Int(try NamespaceID.of(kind).inode)
            guard field(record, 0, kind, "parent") == ours else {
                return .fail("\(kind.rawValue).parent is \(show(field(record, 0, kind, "parent"))), expected \(ours)")
            }
        }
        guard field(record, 0, .uts, "parent") == nil else { return .fail("uts.parent should be null") }
        guard field(record, 0, .user, "owner_uid") == Int(geteuid()) else {
            return .fail("user.owner_uid is \(show(field(record, 0, .user, "owner_uid"))), expected \(geteuid())")
        }
        return .pass("pid and user namespaces nest under ours; created by uid \(geteuid())")
    }

    static let compare = Check(
        id: "02.ns.compare", title: "--json with two PIDs: shared and different kinds are right", points: 25,
        dependsOn: ["02.ns.inodes"],
        hint: "two processes share a namespace exactly when their inodes are equal: list every kind whose inodes"
            + " are equal in `shared` and the others in `different`."
    ) { context in
        let plain = try Lab02Target([])
        let boxed = try Lab02Target([.uts, .ipc, .net])
        let (record, result) = try record(context, [plain.pid, boxed.pid])
        guard let record else { return .fail("no JSON: \(summary(result))") }
        func kinds(_ key: String) -> Set<String> {
            guard case .array(let values)? = record[key] else { return [] }
            return Set(values.compactMap(\.stringValue))
        }
        let present = Namespace.allCases.filter { Sys.exists("/proc/\(plain.pid)/ns/\($0.rawValue)") }
        let different: Set<String> = ["uts", "ipc", "net"]
        let shared = Set(present.map(\.rawValue)).subtracting(different)
        guard kinds("shared") == shared, kinds("different") == different else {
            return .fail(
                "shared \(kinds("shared").sorted()), different \(kinds("different").sorted());"
                    + " expected \(shared.sorted()) and \(different.sorted())")
        }
        return .pass("shared \(shared.sorted()), different \(different.sorted())")
    }

    static let noSuchPid = Check(
        id: "02.ns.no-such-pid", title: "a PID that does not exist is an error", points: 10,
        dependsOn: ["02.ns.runs"],
        hint: "when /proc/PID does not exist (ENOENT/ESRCH), print an error on stderr and exit non-zero,"
            + " instead of an empty table."
    ) { context in
        let result = try Probe(context: context).run(["4194305"])
        guard result.status != .exited(0), !result.stderr.isEmpty else {
            return .fail("PID 4194305 (above pid_max): \(summary(result)); expected an error")
        }
        return .pass("refused: \(result.status)")
    }
}
