// sb-init: a minimal PID 1 for a new PID namespace.
//
// The first process of a PID namespace is its init, and the kernel treats it
// specially:
//   - orphans anywhere in the namespace are re-parented to it; if it never
//     calls wait(2) they stay zombies (entries in the process table) forever;
//   - signals whose disposition is SIG_DFL are not delivered to it, so a
//     plain `kill PID1` (SIGTERM) does nothing unless init handles it;
//   - when it exits, the kernel SIGKILLs every other process in the namespace
//     and no new process can be made there.
// A shell or a web server is not written for that job. `docker run --init`
// puts a small init (tini) in front of the command for these reasons; sb-init
// is ours: it forks the command, forwards the usual termination signals to it,
// reaps every child, and exits with the command's status.
//
// Usage: sb-init [--mount-proc] [--exec] [--verbose] -- CMD [ARGS...]
//   --mount-proc  first make / private and mount a fresh proc on /proc
//                 (needs its own mount namespace: clone with CLONE_NEWNS)
//   --exec        mount (if asked), then become CMD: no init at all (lab 04's "what breaks")
//   --verbose     say on stderr what init does (payload, forwarded signals, reaped orphans)
// No ArgumentParser and no Foundation: it starts in a millisecond.
import SandboxCore
import SandboxMounts

#if canImport(Glibc)
    import Glibc
#endif

struct Options {
    var mountProc = false
    var execOnly = false
    var verbose = false
    var command: [String] = []

    static let usage = "usage: sb-init [--mount-proc] [--exec] [--verbose] -- CMD [ARGS...]\n"

    /// Parses argv by hand; nil means a usage error.
    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            switch argument {
            case "--mount-proc": options.mountProc = true
            case "--exec": options.execOnly = true
            case "--verbose": options.verbose = true
            case "--": options.command = Array(arguments[index...])
            default:
                if argument.hasPrefix("-") { return nil }
                options.command = Array(arguments[(index - 1)...])
            }
            if !options.command.isEmpty || argument == "--" { break }
        }
        return options.command.isEmpty ? nil : options
    }
}

/// The signals we pass on to the command: what `docker stop`, a terminal or a
/// supervisor sends to ask a program to stop, reload or report.
let forwarded: Set<Int32> = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]

func say(_ options: Options, _ text: String) {
    if options.verbose { Terminal.write("sb-init: \(text)\n", fd: 2) }
}

func fail(_ text: String, status: Int32 = 125) -> Never {
    Terminal.write("sb-init: error: \(text)\n", fd: 2)
    exit(status)
}

/// A fresh proc for this PID namespace, so `ps` and /proc show its processes only.
///
/// Refuses when we share the mount namespace of the outer init: making / private
/// and mounting over /proc there would change the host's mount table.
func mountFreshProc(_ options: Options) throws(SyscallError) {
    guard let parentMounts = parentMountNamespace(), let ours = try? Sys.readlink("/proc/self/ns/mnt") else {
        fail("--mount-proc: cannot read the parent's /proc/PID/ns/mnt, so cannot prove a mount namespace of our own")
    }
    if parentMounts == ours {
        fail("--mount-proc needs its own mount namespace (clone with CLONE_NEWNS): \(ours) is our parent's")
    }
    // Private first: on a systemd host / is shared, and our proc mount would propagate to the host.
    try Mounts.setPropagation("/", .private)
    try Mounts.mount(source: "proc", target: "/proc", type: "proc", flags: [.noSuid, .noDev, .noExec])
    say(options, "mounted a fresh proc on /proc (/ is now recursively private)")
}

/// The mount namespace of the process that started us, or nil if we cannot tell.
///
/// getppid() says 0 to a PID 1, but /proc is still the parent namespace's proc
/// here, and /proc/self/stat there shows our parent's pid as that namespace sees it.
func parentMountNamespace() -> String? {
    guard let stat = try? ProcFile.read("/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return nil }
    // After "pid (comm) ": the state, then the parent's pid.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 1, let parent = Int32(fields[1]), parent > 0 else { return nil }
    return try? Sys.readlink("/proc/\(parent)/ns/mnt")
}

/// Blocks every signal we can, so each one waits for sigwaitinfo(2) instead of
/// running a handler. A blocked signal is queued even for PID 1 (the "ignored
/// when SIG_DFL" rule applies to unblocked signals only). Faults stay unblocked:
/// a blocked SIGSEGV raised by a bug would kill us anyway.
func blockedSignals() -> sigset_t {
    var set = sigset_t()
    sigfillset(&set)
    for fault in [SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS] { sigdelset(&set, fault) }
    return set
}

/// Reaps every child that has exited. Returns the payload's status if it was among them.
func reapAll(payload: pid_t, _ options: Options) -> ExitStatus? {
    var payloadStatus: ExitStatus?
    while true {
        var raw: Int32 = 0
        let pid = waitpid(-1, &raw, WNOHANG)
        if pid <= 0 { break }  // 0: children left but none exited; -1 ECHILD: none left
        let status = ExitStatus(waitStatus: raw)
        if pid == payload {
            payloadStatus = status
        } else {
            say(options, "reaped orphan \(pid) (\(status))")
        }
    }
    return payloadStatus
}

/// The init loop: wait for a signal, forward it or reap, until the payload is gone.
func supervise(payload: pid_t, signals: sigset_t, _ options: Options) -> ExitStatus {
    var set = signals
    while true {
        var info = siginfo_t()
        let signal = sigwaitinfo(&set, &info)
        if signal < 0 { continue }  // EINTR
        if signal == SIGCHLD {
            if let status = reapAll(payload: payload, options) { return status }
        } else if forwarded.contains(signal) {
            say(options, "forwarding signal \(signal) to \(payload)")
            _ = kill(payload, signal)
        }
    }
}

func main() -> Never {
    guard let options = Options.parse(CommandLine.arguments) else {
        Terminal.write(Options.usage, fd: 2)
        exit(64)
    }
    // On the host this process would become a reaper and signal forwarder for
    // processes it does not own, and --mount-proc would change the host's mounts.
    guard getpid() == 1 else {
        fail("refusing to run as pid \(getpid()): sb-init must be PID 1 of a new PID namespace (use sb-pid)")
    }
    do {
        if options.mountProc { try mountFreshProc(options) }
    } catch {
        fail("\(error)")
    }
    guard let path = Sys.resolveExecutable(options.command[0], searchPath: Sys.getenv("PATH")) else {
        fail("\(options.command[0]): command not found", status: 127)
    }
    if options.execOnly {
        do { try Sys.execve(path, arguments: options.command, environment: Sys.environment()) } catch {
            fail("\(error)", status: error.errno == .noSuchFileOrDirectory ? 127 : 126)
        }
    }
    let signals = blockedSignals()
    var mask = signals
    sigprocmask(SIG_SETMASK, &mask, nil)
    // The child side of Spawn (C) resets handlers and unblocks signals before execve.
    let payload: pid_t
    do {
        payload = try Spawn.start(SpawnRequest(path: path, arguments: options.command))
    } catch let error as SyscallError {
        fail("\(error)", status: error.call == "execve" && error.errno == .noSuchFileOrDirectory ? 127 : 126)
    } catch {
        fail("\(error)", status: 126)
    }
    say(options, "started \(options.command.joined(separator: " ")) as pid \(payload)")
    let status = supervise(payload: payload, signals: signals, options)
    say(options, "payload \(status); exiting, and the kernel kills what is left in this namespace")
    // Our exit ends the namespace: the kernel SIGKILLs every remaining process in it.
    exit(status.shellCode)
}

main()
