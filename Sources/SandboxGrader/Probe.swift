import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the implementation under test the way a lab's checks need it.
struct Probe {
    let context: GradeContext

    /// A payload that prints its own pid and then waits until we close its stdin:
    /// it stays alive while the grader inspects /proc/PID from outside.
    static let waitingPayload = ["/bin/sh", "-c", "echo $$; read line || true"]

    /// Builds the request to start the implementation with `arguments`.
    func request(_ arguments: [String]) -> SpawnRequest {
        var request = SpawnRequest(path: context.implementation, arguments: [context.implementation] + arguments)
        request.newSession = true  // so a timeout can kill everything it started
        return request
    }

    /// Runs to completion with stdin closed.
    func run(_ arguments: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run(request(arguments), timeout: context.timeout)
    }

    /// Starts the implementation with `waitingPayload` after `arguments`, reads
    /// the payload's pid (skipping `skipLines` lines the implementation prints
    /// first), calls `inspect` while the payload is alive, then lets it finish.
    func whileRunning<T>(
        _ arguments: [String], skipLines: Int = 0,
        inspect: (_ pid: pid_t, _ skipped: [String]) throws -> T
    ) throws -> (value: T, result: ChildProcess.Result) {
        let child = try ChildProcess(request(arguments + ["--"] + Probe.waitingPayload))
        return try Probe.inspect(child, timeout: context.timeout, skipLines: skipLines, inspect: inspect)
    }

    static func inspect<T>(
        _ child: ChildProcess, timeout: Double, skipLines: Int,
        inspect: (_ pid: pid_t, _ skipped: [String]) throws -> T
    ) throws -> (value: T, result: ChildProcess.Result) {
        var skipped: [String] = []
        for _ in 0..<skipLines {
            guard let line = child.readLine(timeout: timeout) else { break }
            skipped.append(line)
        }
        guard let line = child.readLine(timeout: timeout), let pid = pid_t(line.trimmingWhitespace()) else {
            let result = child.finish(timeout: 2)
            throw ProbeError.noPid(result)
        }
        do {
            let value = try inspect(pid, skipped)
            return (value, child.finish(timeout: timeout))
        } catch {
            _ = child.finish(timeout: timeout)
            throw error
        }
    }
}

/// Why a probe could not observe what it needed.
enum ProbeError: Error, CustomStringConvertible {
    case noPid(ChildProcess.Result)

    var description: String {
        switch self {
        case .noPid(let result):
            "the command never printed its pid (implementation \(result.status)"
                + (result.stderr.isEmpty ? ")" : "; stderr: \(result.stderr.trimmingWhitespace().prefix(300)))")
        }
    }
}

/// The shape every lab's containment shares: the implementation runs under a
/// small /bin/sh wrapper that is the first process of throwaway namespaces the
/// grader makes (`cloneFlags`). Whatever a wrong implementation changes there
/// dies with them, never touching the host. The wrapper reports what it sees
/// before and after on fd 3 (`ChildProcess.Result.report`), and `watching`
/// names the namespace kind whose starting inode the checks compare against.
struct Jail {
    /// The `watching` namespace the implementation was started in.
    let startingNamespace: NamespaceID
    let child: ChildProcess

    /// - `wrapper`: the shell script; `"$@"` is the implementation and its arguments.
    /// - `leading`: words put before the implementation in "$@" (the script shifts them off).
    init(
        _ probe: Probe, cloneFlags: Int32, watching kind: Namespace, wrapper: String, name: String,
        leading: [String] = [], environment: [String] = [], _ arguments: [String]
    ) throws {
        var request = probe.request([])
        request.path = "/bin/sh"
        request.arguments = ["/bin/sh", "-c", wrapper, name] + leading + [probe.context.implementation] + arguments
        request.environment += environment
        request.cloneFlags = cloneFlags
        var starting: NamespaceID?
        child = try ChildProcess(request, reportPipe: true) { pid in
            starting = try NamespaceID.of(pid: "\(pid)", kind)
        }
        guard let starting else {
            throw CoreError.unexpectedFormat(path: "/proc/\(child.pid)/ns/\(kind.rawValue)", detail: "unreadable")
        }
        startingNamespace = starting
    }
}

/// A run inside a throwaway UTS namespace, so a wrong implementation renames
/// that namespace and never the host. The wrapper shell is the throwaway
/// namespace's first process; after the implementation exits it reports the
/// namespace's hostname on fd 3, which tells whether the implementation
/// changed the hostname of the namespace it was started in.
struct ContainedUTSRun {
    /// The namespace the implementation was started in.
    let startingNamespace: NamespaceID
    let child: ChildProcess

    static let wrapper = "\"$@\"; status=$?; cat /proc/sys/kernel/hostname >&3; exit $status"

    init(_ probe: Probe, _ arguments: [String]) throws {
        let jail = try Jail(
            probe, cloneFlags: Namespace.uts.cloneFlag, watching: .uts, wrapper: ContainedUTSRun.wrapper,
            name: "sb-grade-uts-jail", arguments)
        (startingNamespace, child) = (jail.startingNamespace, jail.child)
    }

    /// The starting namespace's hostname after the run, as the wrapper reported it.
    static func hostnameAfter(_ result: ChildProcess.Result) -> String {
        result.report.trimmingWhitespace()
    }
}

extension Verdict {
    /// The verdict of a "runs in a new KIND namespace" check: `seen`, the
    /// command's /proc/PID/ns/KIND, must differ from the one it started in.
    static func newNamespace(_ seen: NamespaceID, startedIn starting: NamespaceID, _ kind: Namespace) -> Verdict {
        guard seen != starting else {
            return .fail("/proc/PID/ns/\(kind.rawValue) is \(seen), the namespace the program started in")
        }
        return .pass("\(seen), started in \(starting)")
    }
}

/// Short text of a run's end, for a failure message.
func summary(_ result: ChildProcess.Result) -> String {
    var text = result.timedOut ? "timed out and was killed" : "\(result.status)"
    let stderr = result.stderr.trimmingWhitespace()
    if !stderr.isEmpty { text += "; stderr: \(stderr.prefix(300))" }
    return text
}
