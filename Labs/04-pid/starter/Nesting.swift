// Starter for lab04, generated from Sources/sb-pid/Nesting.swift by scripts/make-starters. Fill in the TODOs.
// --nested N: PID namespaces inside PID namespaces.
//
// unshare(CLONE_NEWPID) does not move the caller: it decides where the
// caller's *next child* goes, and that child is PID 1 there. So each level
// is unshare, then fork; the child repeats it. Every process is visible, with
// a pid, in its own namespace and in each ancestor; NSpid in /proc/PID/status
// lists them, outermost first. The kernel allows 32 levels.
//
// Here /proc stays the host's (no mount namespace): read through it, NSpid
// shows all levels. sb-pid is single-threaded, so fork(2) from Swift is safe.
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct Nesting {
    let levels: Int
    let narrator: Narrator

    /// Builds the chain, then the innermost PID 1 becomes sb-init with the command.
    /// Every level above waits for its child and exits with its status.
    func run(initPath: String, arguments: [String]) throws -> Never {
        for level in 1...levels {
            try narrator.step("unshare(CLONE_NEWPID)", detail: "level \(level): for our next child") {
                try unshare([.pid])
            }
            fflush(nil)
            let child = try check("fork()") { fork() }
            if child > 0 { waitAndExit(for: child, level: level) }
            let pids = PIDCommand.nspid(of: "self")
            narrator.observe(
                "level \(level):", "getpid() = \(getpid()), NSpid \(pids.map(String.init).joined(separator: " "))")
            narrator.fact("level\(level)", .array(pids.map { .int(Int($0)) }))
        }
        narrator.explain("one process, \(levels + 1) pids; the innermost PID 1 now becomes sb-init.")
        narrator.record(call: Narrator.execveCall(initPath, arguments), result: "…")
        narrator.emitRecord()
        try Sys.execve(initPath, arguments: arguments, environment: Sys.environment())
    }

    /// A level's parent: wait for the child (PID 1 one level down) and pass its status up.
    func waitAndExit(for child: pid_t, level: Int) -> Never {
        let status = (try? Sys.waitpid(child)) ?? .exited(125)
        if level == 1 { narrator.observe("level 1:", "PID 1 \(status); every level below went with it") }
        exit(status.shellCode)
    }
}
