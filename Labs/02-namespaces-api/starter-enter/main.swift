// Starter for lab02, generated from Sources/sb-enter/main.swift by scripts/make-starters. Fill in the TODOs.
// sb-enter: run a command in the namespaces of a running process, like nsenter(1).
//
// This is `docker exec`: the container is already running; a new process
// joins its namespaces with setns(2) and runs a command there. Steps:
//   1. prctl(PR_SET_DUMPABLE, 0): from the moment we are inside, processes of
//      the container must not be able to reach us through /proc/PID (runc's
//      fix for CVE-2019-5736, where a container overwrote the runc binary
//      through /proc/PID/exe of a runc process that had joined it).
//   2. setns(2): by pidfd, all namespaces in one call (Linux 5.8+), or one
//      /proc/PID/ns/KIND file at a time, user namespace first.
//   3. fork: joining a PID namespace never moves the caller, only its future
//      children; so the command always runs as our child, and we exit with
//      its status.
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct EnterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-enter",
        abstract: "Run a command in the namespaces of a running process.",
        discussion: """
            Joins the chosen namespaces of --target with setns(2) and runs the command
            as a child there (the way docker exec and nsenter do).

            Examples (as root):
              unshare --uts --net sleep 600 &
              sb-enter --target $! --uts --net -- /bin/sh -c 'hostname; ip link'
              sb-enter --target $! --all -- readlink /proc/self/ns/uts

            --all joins every namespace in which the target differs from us.
            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line, {"target":PID,"method":"pidfd"|"ns files","joined":[...],
            "before":{...},"after":{...},"target_namespaces":{...}}), then the command's
            output. Exit status: the command's; 125 if sb-enter failed, 126 if the
            command could not run, 127 if it was not found, 64 on a usage error.
            """
    )

    @Option(help: "The process whose namespaces to join.")
    var target: Int32

    @Flag(help: "Join every namespace in which the target differs from us.") var all = false
    @Flag(help: "Join the UTS namespace (hostname).") var uts = false
    @Flag(help: "Join the IPC namespace.") var ipc = false
    @Flag(help: "Join the network namespace.") var net = false
    @Flag(help: "Join the PID namespace (the command, our child, lands in it).") var pid = false
    @Flag(help: "Join the mount namespace.") var mount = false
    @Flag(help: "Join the user namespace (joined first).") var user = false
    @Flag(help: "Join the cgroup namespace.") var cgroup = false
    @Flag(help: "Join the time namespace (the command, our child, lands in it).") var time = false

    @Flag(help: "Print nothing of our own; only the command's output.") var quiet = false
    @Flag(help: "Print one JSON record as the first line.") var json = false

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    func validate() throws {
        if target <= 0 { throw ValidationError("--target must be a process ID, got \(target)") }
        if !all && chosen.isEmpty { throw ValidationError("name the namespaces to join (--uts, --net, ...) or --all") }
    }

    var chosen: Set<Namespace> {
        let flags: [(Bool, Namespace)] = [
            (uts, .uts), (ipc, .ipc), (net, .net), (pid, .pid), (mount, .mnt), (user, .user), (cgroup, .cgroup),
            (time, .time),
        ]
        return Set(flags.filter(\.0).map(\.1))
    }

    func run() throws {
        let narrator = Narrator(tool: "sb-enter", mode: .from(quiet: quiet, json: json))
        let argv = command.isEmpty ? ["/bin/sh"] : command
        do {
            let theirs = try targetNamespaces()
            let ours = try OwnNamespaceDirectory()
            let kinds = all ? Set(theirs.keys.filter { theirs[$0] != ours.namespaces([$0])[$0] }) : chosen
            let order = joinOrder(kinds)
            let before = ours.namespaces(order)
            try narrator.step("prctl(PR_SET_DUMPABLE, 0)") { try Dumpable.set(false) }
            narrator.explain("non-dumpable: nothing inside can open our /proc/\(getpid())/exe (CVE-2019-5736)")
            let method = order.isEmpty ? "nothing to join" : try join(kinds, of: target, narrator: narrator)
            let after = ours.namespaces(order)
            for kind in order {
                let was = before[kind].map(\.description) ?? "?"
                let now = after[kind].map(\.description) ?? "unreadable"
                narrator.observe(
                    "\(kind.rawValue):", "\(was) → \(now)   target \(theirs[kind].map(\.description) ?? "?")")
            }
            if kinds.contains(.pid) || kinds.contains(.time) {
                narrator.explain("pid/time: we stay where we were; only the child we fork now is born inside")
            }
            report(method: method, kinds: order, before: before, after: after, theirs: theirs, narrator: narrator)
            let status = try runCommand(argv, narrator: narrator)
            if status.shellCode != 0 { throw ExitCode(status.shellCode) }
        } catch let error as SyscallError where error.call == "execve" {
            Terminal.reportError(tool: "sb-enter", error)
            throw ExitCode(error.errno == .noSuchFileOrDirectory ? 127 : 126)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.reportError(tool: "sb-enter", error)
            throw ExitCode(125)
        }
    }

    /// The target's namespaces, read before we move (its /proc entry may be out of sight afterwards).
    func targetNamespaces() throws -> [Namespace: NamespaceID] {
        guard Sys.exists("/proc/\(target)") else {
            throw SyscallError(call: "pidfd_open(\(target), 0)", errno: .init(rawValue: ESRCH))
        }
        var ids: [Namespace: NamespaceID] = [:]
        for kind in Namespace.allCases where Sys.exists("/proc/\(target)/ns/\(kind.rawValue)") {
            ids[kind] = try NamespaceID.of(pid: "\(target)", kind)
        }
        return ids
    }

    /// Forks the command as our child (it is born in a joined PID or time
    /// namespace) and waits for it. The path is looked up after joining, in
    /// the joined mount namespace, as execvp(3) in nsenter would.
    func runCommand(_ argv: [String], narrator: Narrator) throws -> ExitStatus {
        guard let path = Sys.resolveExecutable(argv[0], searchPath: Sys.getenv("PATH")) else {
            narrator.emitRecord()
            throw SyscallError(call: "execve", path: argv[0], errno: .noSuchFileOrDirectory)
        }
        let request = SpawnRequest(path: path, arguments: argv)
        let child = try narrator.step("clone(SIGCHLD)") { try Spawn.clone(request) }
        narrator.record(call: "child \(child.pid): " + Narrator.execveCall(path, argv), result: "…")
        narrator.emitRecord()
        try child.go()
        let status = try Sys.waitpid(child.pid)
        narrator.observe("child:", "\(status)")
        return status
    }

    /// The facts of the JSON record: what a grader compares with /proc/PID/ns.
    func report(
        method: String, kinds: [Namespace], before: [Namespace: NamespaceID], after: [Namespace: NamespaceID],
        theirs: [Namespace: NamespaceID], narrator: Narrator
    ) {
        func table(_ ids: [Namespace: NamespaceID], _ kinds: [Namespace]) -> JSON {
            .object(kinds.compactMap { kind in ids[kind].map { (kind.rawValue, .string($0.description)) } })
        }
        narrator.fact("target", .int(Int(target)))
        narrator.fact("method", .string(method))
        narrator.fact("joined", .array(kinds.map { .string($0.rawValue) }))
        narrator.fact("before", table(before, kinds))
        narrator.fact("after", table(after, kinds))
        narrator.fact("target_namespaces", table(theirs, Namespace.allCases))
    }
}
EnterCommand.main()
