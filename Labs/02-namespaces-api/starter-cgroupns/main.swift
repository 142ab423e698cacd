// Starter for lab02, generated from Sources/sb-cgroupns/main.swift by scripts/make-starters. Fill in the TODOs.
// sb-cgroupns: run a command in a new cgroup namespace.
//
// /proc/PID/cgroup says which cgroup a process is in, one line per hierarchy:
// "0::/user.slice/session-2.scope" on cgroup v2, "4:memory:/docker/3f2a..." on
// v1. Those paths tell a process where it sits on the host, and a container
// should not learn that. A cgroup namespace makes the cgroup the process is
// in at unshare(2) time the root of its view: inside, the same line reads
// "0::/". The limits still apply; only the view changes. Docker uses one for
// every container on cgroup v2 (--cgroupns=private, the default there).
//
// The cgroups themselves (making one, limiting memory) come in lab 08.
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct CgroupNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-cgroupns",
        abstract: "Run a command in a new cgroup namespace: its own cgroup looks like the root.",
        discussion: """
            Reads /proc/self/cgroup, calls unshare(CLONE_NEWCGROUP), reads it again,
            then execs the command, which sees its cgroup paths relative to the
            namespace's root ("0::/" instead of "0::/user.slice/...").

            Examples (as root):
              sb-cgroupns -- cat /proc/self/cgroup
              sb-cgroupns --quiet -- readlink /proc/self/ns/cgroup

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line, {"inside":{"cgroupns":"cgroup:[N]","path":"/","lines":[...]},
            "outside":{...}}, path being the cgroup v2 ("0::") line's path). Exit status:
            the command's; 125 if sb-cgroupns failed, 126 if the command could not run,
            127 if it was not found, 64 on a usage error.
            """
    )

    @Flag(help: "Print nothing of our own; only the command's output.") var quiet = false
    @Flag(help: "Print one JSON record as the first line.") var json = false

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    func run() throws {
        let narrator = Narrator(tool: "sb-cgroupns", mode: .from(quiet: quiet, json: json))
        let argv = command.isEmpty ? ["/bin/sh"] : command
        do {
            let path = try Sys.resolveCommand(argv[0])  // before unshare: a typo changes nothing
            let outside = try CgroupView.current()
            // TODO(lab02): Give this process a new cgroup namespace with unshare(2)
            //   (CLONE_NEWCGROUP). Its root is the cgroup we are in right now, so /proc/self/cgroup
            //   will show "/" from then on.
            let inside = try CgroupView.current()
            narrator.observe("cgroup namespace:", "\(outside.namespace) → \(inside.namespace)")
            narrator.observe("/proc/self/cgroup:", "before → after")
            for (before, after) in zip(outside.lines, inside.lines) {
                narrator.observe("  ", before == after ? before : "\(before)  →  \(after)")
            }
            narrator.explain(
                inside.namespace == outside.namespace
                    ? "same cgroup namespace: the command sees the host's cgroup paths."
                    : "new namespace: our cgroup is its root; the limits are unchanged, only the names.")
            narrator.fact("inside", inside.json)
            narrator.fact("outside", outside.json)
            narrator.record(call: Narrator.execveCall(path, argv), result: "…")
            narrator.emitRecord()
            try Sys.execve(path, arguments: argv, environment: Sys.environment())
        } catch let error as SyscallError where error.call == "execve" {
            Terminal.reportError(tool: "sb-cgroupns", error)
            throw ExitCode(error.commandExitStatus)
        } catch {
            Terminal.reportError(tool: "sb-cgroupns", error)
            throw ExitCode(125)
        }
    }
}

/// What this process sees of its cgroups: the namespace and /proc/self/cgroup.
struct CgroupView {
    var namespace: NamespaceID
    var lines: [String]

    static func current() throws -> CgroupView {
        let text = try ProcFile.read("/proc/self/cgroup")
        return CgroupView(namespace: try NamespaceID.of(.cgroup), lines: text.split(separator: "\n").map(String.init))
    }

    /// The path on the cgroup v2 line ("0::PATH"), nil on a pure v1 host.
    var unifiedPath: String? {
        lines.first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    var json: JSON {
        .object([
            ("cgroupns", .string(namespace.description)), ("path", unifiedPath.map { .string($0) } ?? .null),
            ("lines", .array(lines.map { .string($0) })),
        ])
    }
}
CgroupNSCommand.main()
