// sb-ns: show the namespaces of one or more processes, like lsns(8).
//
// Every process has one namespace of each kind. /proc/PID/ns/KIND is a magic
// link to it; its inode number names the namespace, so two processes share a
// namespace exactly when the inodes are equal. Opening the link gives a file
// descriptor the kernel answers questions about with ioctl(2) (ioctl_ns(2)):
//   NS_GET_NSTYPE     which kind it is (a CLONE_NEW* flag)
//   NS_GET_USERNS     the user namespace that owns it (whose root may change it)
//   NS_GET_PARENT     the parent of a pid or user namespace (they nest)
//   NS_GET_OWNER_UID  the uid that created a user namespace
// This is how `docker inspect` finds nothing and `lsns` finds everything:
// a container is just processes whose inodes differ from the host's.
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct NSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-ns",
        abstract: "Show the namespaces of processes, and which of them two processes share.",
        discussion: """
            For each PID (default: sb-ns itself), opens /proc/PID/ns/KIND for the eight
            kinds and asks the kernel with the NS_GET_* ioctls for the type, inode,
            owning user namespace, parent (pid and user namespaces) and creator uid
            (user namespaces). With two or more PIDs it shows, kind by kind, whether
            they share the namespace.

            Examples (as root, to see other users' processes):
              sb-ns                      # our own namespaces
              sb-ns 1 $$                 # does this shell share every namespace with init?
              sb-ns $(pgrep -n sleep) 1  # a containerised sleep beside the host

            Output: narration and a table on stdout (--quiet: the table only; --json:
            one JSON record, {"processes":[{"pid":P,"namespaces":{"uts":{"type":"uts",
            "inode":N,"userns":N,"parent":null,"owner_uid":null},...}}],"shared":[...],
            "different":[...]}). Exit status: 0; 125 if a process could not be inspected;
            64 on a usage error.
            """
    )

    @Flag(help: "Print only the table, without the ioctl steps.")
    var quiet = false

    @Flag(help: "Print one JSON record instead of text.")
    var json = false

    @Argument(help: "Process IDs to inspect (default: this process).")
    var pids: [Int32] = []

    func validate() throws {
        if let bad = pids.first(where: { $0 <= 0 }) { throw ValidationError("not a process ID: \(bad)") }
    }

    func run() throws {
        // The table is what --quiet keeps, so the steps go through a narrator
        // that is silent in quiet mode and the table through its own writer.
        let narrator = Narrator(tool: "sb-ns", mode: .from(quiet: quiet, json: json))
        let targets = pids.isEmpty ? [getpid()] : pids
        do {
            let views = try targets.map { pid in try inspectAll(pid: pid, narrator: narrator) }
            let comparison = NamespaceComparison(
                views.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.kind, $0.inode) }) })
            if !json {
                Terminal.write(targets.count == 1 ? table(targets[0], views[0]) : sideBySide(targets, views), fd: 1)
            }
            if targets.count > 1 {
                narrator.explain(
                    "same inode = same namespace. Shared: \(names(comparison.shared)); "
                        + "different: \(names(comparison.different)).")
            }
            narrator.fact(
                "processes",
                .array(
                    zip(targets, views).map { pid, views in
                        .object([
                            ("pid", .int(Int(pid))),
                            ("namespaces", .object(views.map { ($0.kind.rawValue, $0.json) })),
                        ])
                    }))
            narrator.fact("shared", .array(comparison.shared.map { .string($0.rawValue) }))
            narrator.fact("different", .array(comparison.different.map { .string($0.rawValue) }))
            narrator.emitRecord()
        } catch {
            Terminal.reportError(tool: "sb-ns", error)
            throw ExitCode(125)
        }
    }

    func names(_ kinds: [Namespace]) -> String { kinds.isEmpty ? "none" : kinds.map(\.rawValue).joined(separator: " ") }

    /// One process: a row per namespace, like `lsns -p PID`.
    func table(_ pid: pid_t, _ views: [NamespaceView]) -> String {
        func cell(_ value: (some BinaryInteger)?) -> String { value.map { "\($0)" } ?? "-" }
        var text = "\npid \(pid)\n" + row(["KIND", "INODE", "OWNER USERNS", "PARENT", "OWNER UID"])
        for view in views {
            text += row([view.kind.rawValue, "\(view.inode)", cell(view.owner), cell(view.parent), cell(view.ownerUID)])
        }
        return text
    }

    /// Several processes: a column per process and whether the kind is shared.
    func sideBySide(_ pids: [pid_t], _ views: [[NamespaceView]]) -> String {
        var text = "\n" + row(["KIND"] + pids.map { "pid \($0)" } + ["SHARED"])
        for kind in Namespace.allCases {
            let inodes = views.map { $0.first { $0.kind == kind }?.inode }
            guard inodes.allSatisfy({ $0 != nil }) else { continue }
            let same = Set(inodes).count == 1
            text += row([kind.rawValue] + inodes.map { "\(kind.rawValue):[\($0 ?? 0)]" } + [same ? "yes" : "no"])
        }
        return text
    }

    func row(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            let width = index == 0 ? 8 : 20
            return cell.count < width ? cell + String(repeating: " ", count: width - cell.count) : cell + " "
        }.joined().trimmingWhitespace() + "\n"
    }
}
NSCommand.main()
