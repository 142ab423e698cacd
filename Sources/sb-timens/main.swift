// sb-timens: run a command in a new time namespace, with its clocks shifted.
//
// A time namespace (Linux 5.6+) holds two offsets: one added to
// CLOCK_MONOTONIC, one to CLOCK_BOOTTIME (the clock behind /proc/uptime).
// The wall clock, CLOCK_REALTIME, is the same everywhere. What it is for:
// moving a container to another machine (CRIU checkpoint/restore) without
// its monotonic clock jumping backwards.
//
// Two rules shape this program:
//   1. unshare(CLONE_NEWTIME) does not move the caller. It creates the
//      namespace for the caller's future children: /proc/self/ns/time stays,
//      /proc/self/ns/time_for_children changes. (An execve(2) would move the
//      caller in too; we start a child, to watch it from outside.)
//   2. The offsets are written to /proc/self/timens_offsets after unshare and
//      before any process lives in the namespace; once one does, EACCES.
// So: unshare, write offsets, then start the command as a child (an ordinary
// clone: it is born in our time_for_children namespace), wait, exit with its status.
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct TimeNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-timens",
        abstract: "Run a command in a new time namespace with shifted monotonic and boot-time clocks.",
        discussion: """
            Examples (as root, Linux 5.6 or later):
              sb-timens --boottime 86400 -- cat /proc/uptime     # up a day longer
              sb-timens --monotonic -600 -- cat /proc/self/timens_offsets

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line, {"pid":P,"inside":{"time":"time:[N]","offsets":{"monotonic":S,
            "boottime":S}},"outside":{"time":"time:[N]","monotonic":S,"boottime":S}}),
            then the command's output. Exit status: the command's; 125 if sb-timens
            failed (or this kernel has no time namespaces: see sb-doctor 02), 126 if the
            command could not run, 127 if it was not found, 64 on a usage error.
            """
    )

    @Option(parsing: .unconditional, help: "Seconds added to CLOCK_MONOTONIC inside (may be negative).")
    var monotonic: Int64 = 0

    @Option(
        parsing: .unconditional, help: "Seconds added to CLOCK_BOOTTIME (and /proc/uptime) inside (may be negative).")
    var boottime: Int64 = 86400

    @Flag(help: "Print nothing of our own; only the command's output.") var quiet = false
    @Flag(help: "Print one JSON record as the first line.") var json = false

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    func run() throws {
        let narrator = Narrator(tool: "sb-timens", mode: .from(quiet: quiet, json: json))
        let argv = command.isEmpty ? ["/bin/sh"] : command
        guard Host.timeNamespaceSupported else {
            Terminal.write(
                "sb-timens: error: this kernel (\(Host.kernelRelease)) has no time namespaces"
                    + " (/proc/self/ns/time is missing; they need Linux 5.6). sb-doctor 02 lists what this host has.\n",
                fd: 2)
            throw ExitCode(125)
        }
        do {
            let path = try Sys.resolveCommand(argv[0])  // before unshare: a typo changes nothing
            let status = try runShifted(path: path, argv: argv, narrator: narrator)
            if status.shellCode != 0 { throw ExitCode(status.shellCode) }
        } catch let exit as ExitCode {
            throw exit
        } catch let error as SyscallError where error.call == "execve" {
            Terminal.reportError(tool: "sb-timens", error)
            throw ExitCode(error.commandExitStatus)
        } catch {
            Terminal.reportError(tool: "sb-timens", error)
            throw ExitCode(125)
        }
    }

    func runShifted(path: String, argv: [String], narrator: Narrator) throws -> ExitStatus {
        let outside = try NamespaceID.of(.time)
        let offsets = "monotonic \(monotonic) 0\nboottime \(boottime) 0\n"
        // BEGIN SOLUTION lab02: Make a new time namespace for our children with unshare(2) (CLONE_NEWTIME; we stay outside), then write the offsets to /proc/self/timens_offsets ("monotonic SECS 0\nboottime SECS 0\n") before any child exists.
        try narrator.step("unshare(CLONE_NEWTIME)") { try unshare([.time]) }
        try narrator.step("write(/proc/self/timens_offsets, \(JSON.quote(offsets)))") {
            try ProcFile.write("/proc/self/timens_offsets", offsets)
        }
        // END SOLUTION
        let forChildren = try NamespaceID(link: Sys.readlink("/proc/self/ns/time_for_children"))
        narrator.observe("us:      ", "\(try NamespaceID.of(.time))  (/proc/self/ns/time: unshare did not move us)")
        narrator.observe("children:", "\(forChildren.map(\.description) ?? "?")  (/proc/self/ns/time_for_children)")
        let request = SpawnRequest(path: path, arguments: argv)
        let child = try narrator.step("clone(SIGCHLD)") { try Spawn.clone(request) }
        let inside = try NamespaceID.of(pid: "\(child.pid)", .time)
        let shown = try ProcFile.read("/proc/\(child.pid)/timens_offsets")
        narrator.observe("child:   ", "pid \(child.pid)  \(inside)  timens_offsets: " + oneLine(shown))
        narrator.observe(
            "outside: ", "CLOCK_MONOTONIC \(seconds(CLOCK_MONOTONIC))s  CLOCK_BOOTTIME \(seconds(CLOCK_BOOTTIME))s")
        narrator.explain("inside, each clock reads its outside value plus its offset; CLOCK_REALTIME is not shifted")
        narrator.fact("pid", .int(Int(child.pid)))
        narrator.fact(
            "inside",
            .object([
                ("time", .string(inside.description)),
                ("offsets", .object([("monotonic", .int(Int(monotonic))), ("boottime", .int(Int(boottime)))])),
            ]))
        narrator.fact(
            "outside",
            .object([
                ("time", .string(outside.description)), ("monotonic", .int(seconds(CLOCK_MONOTONIC))),
                ("boottime", .int(seconds(CLOCK_BOOTTIME))),
            ]))
        narrator.record(call: "child: " + Narrator.execveCall(path, argv), result: "…")
        narrator.emitRecord()
        try child.go()
        let status = try Sys.waitpid(child.pid)
        narrator.observe("child:   ", "\(status)")
        return status
    }

    /// Whole seconds of a clock, as this process sees it. Corresponds to clock_gettime(2).
    func seconds(_ clock: clockid_t) -> Int {
        var now = timespec()
        clock_gettime(clock, &now)
        return Int(now.tv_sec)
    }

    func oneLine(_ text: String) -> String {
        text.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }.joined(separator: ", ")
    }
}
TimeNSCommand.main()
