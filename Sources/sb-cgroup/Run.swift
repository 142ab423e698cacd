import ArgumentParser
import SandboxCgroups
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// The pid of the command `run` waits for, so SIGINT/SIGTERM to sb-cgroup reach it.
nonisolated(unsafe) var runningChild: pid_t = 0

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command in a new cgroup with limits; the cgroup is removed afterwards.",
        discussion: """
            The child is cloned, waits, is written into cgroup.procs, and only then
            runs the command: it never runs a single instruction outside its limits.
            After it exits (or is killed, e.g. by the OOM killer), the group's stats
            are shown, what is left is killed, and the group is removed.

            Examples (as root):
              sb-cgroup run --pids 20 -- /bin/sh -c 'for i in $(seq 200); do sleep 5 & done; wait'
              sb-cgroup run --memory 32M -- /bin/sh -c 'head -c 100M /dev/zero | tail'
              sb-cgroup run --cpus 0.5 -- timeout 2 sh -c 'while :; do :; done'

            --json: one record first, before the command's output: {"tool","steps",
            "version","name","pid","cgroup":[dirs],"limits":{...}}. Exit status: the
            command's (128+N if signal N killed it); 125 if sb-cgroup failed, 126 if
            the command could not run, 127 if it was not found, 64 on a usage error.
            """)

    @Option(help: "Name of the new cgroup under sandboxlabs (default run-PID).")
    var name: String?

    @OptionGroup var limits: LimitOptions
    @OptionGroup var output: OutputOptions

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    func run() throws {
        let narrator = output.narrator()
        let argv = command.isEmpty ? ["/bin/sh"] : command
        guard let path = Sys.resolveExecutable(argv[0], searchPath: Sys.getenv("PATH")) else {
            Terminal.reportError(
                tool: "sb-cgroup", SyscallError(call: "execve", path: argv[0], errno: .noSuchFileOrDirectory))
            throw ExitCode(127)
        }
        let settings = try limits.settings()
        try reporting {
            try requireSingleThreaded("clone")
            let group = try manager(name ?? "run-\(getpid())", narrator)
            defer { try? group.delete() }  // also when a step failed, or the command was killed
            let status = try runInside(group, settings: settings, path: path, argv: argv, narrator: narrator)
            describe(group.stats(), narrator: narrator)
            if status.shellCode != 0 {
                try group.delete()
                throw ExitCode(status.shellCode)
            }
        }
    }

    /// Create, limit, clone, join before go, run, wait: the runtime's order.
    func runInside(
        _ group: any CgroupManager, settings: CgroupSettings, path: String, argv: [String], narrator: Narrator
    ) throws -> ExitStatus {
        // BEGIN SOLUTION lab08: Make the group (CgroupManager.create) and write the limits into its files (apply).
        try group.create()
        try group.apply(settings)
        // END SOLUTION
        let child = try narrator.step("clone(SIGCHLD)", detail: "the child waits for go") {
            try Spawn.clone(SpawnRequest(path: path, arguments: argv))
        }
        // BEGIN SOLUTION lab08: Put the waiting child into the group (join: its pid into cgroup.procs) before it runs anything.
        try group.join(pid: child.pid)
        // END SOLUTION
        narrator.observe("child:", "pid \(child.pid) in \(group.directories.joined(separator: ", "))")
        narrator.fact("version", .string(group.version))
        narrator.fact("name", .string(group.name))
        narrator.fact("pid", .int(Int(child.pid)))
        narrator.fact("cgroup", .array(group.directories.map { .string($0) }))
        narrator.fact("limits", limitsRecord(settings))
        narrator.record(call: "go: " + Narrator.execveCall(path, argv), result: "…")
        narrator.emitRecord()
        runningChild = child.pid
        forwardSignals()
        do {
            try child.go()
        } catch {
            guard error.call == "execve" else { throw error }
            Terminal.reportError(tool: "sb-cgroup", error)
            throw ExitCode(error.commandExitStatus)
        }
        let status = try Sys.waitpid(child.pid)
        runningChild = 0
        narrator.observe("child:", "\(status)")
        return status
    }
}

/// SIGINT, SIGTERM and SIGHUP to sb-cgroup go on to the command, so we stay
/// alive to remove its cgroup after it died.
func forwardSignals() {
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
        signal(signalNumber) { received in
            if runningChild > 0 { kill(runningChild, received) }
        }
    }
}

/// The asked limits as JSON, in the user's vocabulary (v2 spelling: "max" or a number).
func limitsRecord(_ settings: CgroupSettings) -> JSON {
    var pairs: [(String, JSON)] = []
    if let memory = settings.memoryMax { pairs.append(("memory", .string(memory.v2Text))) }
    if let pids = settings.pidsMax { pairs.append(("pids", .string(pids.v2Text))) }
    if let quota = settings.cpuQuota { pairs.append(("cpu", .string("\(quota.v2Text) \(settings.cpuPeriod)"))) }
    if let weight = settings.cpuWeight { pairs.append(("cpuWeight", .int(Int(weight)))) }
    return .object(pairs)
}

/// Prints what the group used, as narration lines and as JSON facts.
func describe(_ stats: CgroupStats, narrator: Narrator) {
    let rows: [(String, Int64?)] = [
        ("memory.current", stats.memoryCurrent), ("memory.peak", stats.memoryPeak),
        ("oom_kills", stats.oomKills), ("memory_limit_hits", stats.memoryLimitHits),
        ("cpu_usage_usec", stats.cpuUsageMicroseconds), ("nr_throttled", stats.throttledPeriods),
        ("throttled_usec", stats.throttledMicroseconds), ("pids.current", stats.pidsCurrent),
        ("pids_limit_hits", stats.pidsLimitHits),
    ]
    let known = rows.compactMap { key, value in value.map { (key, $0) } }
    narrator.observe("stats:", known.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
    if let frozen = stats.frozen { narrator.observe("      ", "frozen=\(frozen)") }
    narrator.fact(
        "stats", .object(known.map { ($0.0, .int(Int($0.1))) } + [("frozen", stats.frozen.map { .bool($0) } ?? .null)]))
}
