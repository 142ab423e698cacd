// Starter for lab04, generated from Sources/sb-pid/main.swift by scripts/make-starters. Fill in the TODOs.
// sb-pid: run a command in a new PID namespace, under a minimal init, with its own /proc.
//
// A PID namespace numbers processes from 1 again. Its first process is PID 1
// inside and an ordinary pid outside: one process, two pids (the NSpid line of
// /proc/PID/status lists them, outermost first). Docker gives each container
// one: `docker top` shows host pids, `docker exec c ps` shows 1, 2, 3.
//
// The steps:
//   clone(CLONE_NEWPID|CLONE_NEWNS)   the child is PID 1 of a new PID namespace,
//                                     in a new mount namespace of its own
//   child: exec sb-init --mount-proc  / made private, a fresh proc on /proc
//                                     (the PID namespace's view), then init
//                                     forks the command, forwards signals, reaps
//   parent: waits; when PID 1 exits the kernel kills everything left inside
//
// --nested N makes N PID namespaces, each inside the last (unshare + fork),
// and runs the command in the innermost: it has N+1 pids.
// --no-init makes the command itself PID 1, to show what an init is for.
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct PIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-pid",
        abstract: "Run a command as a process of a new PID namespace, under sb-init, with its own /proc.",
        discussion: """
            The command runs under sb-init, PID 1 of the new namespace (the command is
            PID 2). sb-init must be in the same directory as sb-pid.

            Examples (as root):
              sb-pid -- ps -ef
              sb-pid -- /bin/sh -c 'echo $$; grep NSpid /proc/self/status'
              sb-pid --nested 2 -- grep NSpid /proc/self/status
              sb-pid --no-init -- /bin/sh -c 'echo $$'

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line), then the command's own output. Exit status: the command's
            (128+N if a signal N killed it); 125 if sb-pid itself failed, 126 if the
            command could not run, 127 if it was not found, 64 on a usage error.
            """
    )

    @Flag(help: "Run the command itself as PID 1, without sb-init (to see what breaks).")
    var noInit = false

    @Option(help: "Nest this many PID namespaces and run the command in the innermost (1 to 8).")
    var nested: Int?

    @Flag(help: "Let sb-init say on stderr what it does (signals forwarded, orphans reaped).")
    var verbose = false

    @Flag(help: "Print nothing of our own; only the command's output.")
    var quiet = false

    @Flag(help: "Print one JSON record (steps, inside/outside pid and PID namespace) as the first line.")
    var json = false

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    func validate() throws {
        if let nested, !(1...8).contains(nested) { throw ValidationError("--nested must be 1 to 8, got \(nested)") }
        if nested != nil && noInit { throw ValidationError("--nested and --no-init do not go together") }
    }

    func run() throws {
        let narrator = Narrator(tool: "sb-pid", mode: .from(quiet: quiet, json: json))
        let argv = command.isEmpty ? ["/bin/sh"] : command
        guard let path = Sys.resolveExecutable(argv[0], searchPath: Sys.getenv("PATH")) else {
            Terminal.reportError(
                tool: "sb-pid", SyscallError(call: "execve", path: argv[0], errno: .noSuchFileOrDirectory))
            throw ExitCode(127)
        }
        do {
            let initPath = try PIDCommand.findInit()
            var initArguments = [initPath] + (verbose ? ["--verbose"] : [])
            if let nested {
                initArguments += ["--", path] + argv.dropFirst()
                try Nesting(levels: nested, narrator: narrator).run(initPath: initPath, arguments: initArguments)
            }
            initArguments += ["--mount-proc"] + (noInit ? ["--exec"] : []) + ["--", path] + argv.dropFirst()
            let status = try runInNewNamespace(initPath: initPath, arguments: initArguments, narrator: narrator)
            if status.shellCode != 0 { throw ExitCode(status.shellCode) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.reportError(tool: "sb-pid", error)
            throw ExitCode(125)
        }
    }

    /// Clones sb-init into new PID and mount namespaces, shows it from outside, waits for it.
    func runInNewNamespace(initPath: String, arguments: [String], narrator: Narrator) throws -> ExitStatus {
        var request = SpawnRequest(path: initPath, arguments: arguments)
        // TODO(lab04): Ask clone(2) for a new PID namespace (so the child is PID 1 there) and a new
        //   mount namespace (so sb-init can mount a fresh /proc without touching the host's).
        let child = try narrator.step("clone(\(NamespaceFlags.names(request.cloneFlags)))") { try Spawn.clone(request) }
        // The child waits for "go": it exists, so we can look at it from outside.
        let pids = PIDCommand.nspid(of: "\(child.pid)")
        let inside = try NamespaceID.of(pid: "\(child.pid)", .pid)
        let outside = try NamespaceID.of(.pid)
        narrator.observe("child:  ", "pid \(child.pid) here, NSpid \(pids.map(String.init).joined(separator: " "))")
        narrator.observe("inside: ", "\(inside)  (/proc/\(child.pid)/ns/pid)")
        narrator.observe("outside:", "\(outside)  (/proc/self/ns/pid)")
        narrator.explain(
            pids.count > 1
                ? "one process, two pids: \(child.pid) out here, \(pids.last ?? 0) in its own PID namespace."
                : "only one pid: the child is in our PID namespace.")
        narrator.fact("inside", .object([("pid", .int(Int(pids.last ?? 0))), ("pid_ns", .string("\(inside)"))]))
        narrator.fact("outside", .object([("pid", .int(Int(child.pid))), ("pid_ns", .string("\(outside)"))]))
        narrator.fact("nspid", .array(pids.map { .int(Int($0)) }))
        narrator.record(call: "child: " + Narrator.execveCall(initPath, arguments), result: "…")
        narrator.emitRecord()
        try child.go()
        let status = try Sys.waitpid(child.pid)
        if inside != outside {
            narrator.observe("PID 1:  ", "\(status)")
            narrator.explain("PID 1 is gone, so is \(inside): the kernel SIGKILLed anything left in it.")
        } else {
            narrator.observe("child:  ", "\(status)")
        }
        return status
    }

    /// Where sb-init is: next to this executable (/proc/self/exe's directory).
    static func findInit() throws -> String {
        let me = try Sys.readlink("/proc/self/exe")
        let directory = me.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let path = directory + "/sb-init"
        guard Sys.exists(path) else {
            throw CoreError.unexpectedFormat(path: path, detail: "sb-init not found next to sb-pid: build it too")
        }
        return path
    }

    /// The NSpid line of /proc/PID/status: the pid in each namespace, outermost first.
    static func nspid(of pid: String) -> [pid_t] {
        guard let status = try? ProcFile.read("/proc/\(pid)/status"), let line = ProcFile.field("NSpid", in: status)
        else { return [] }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { pid_t($0) }
    }
}

PIDCommand.main()
