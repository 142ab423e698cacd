import CSandbox

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A child whose stdin, stdout and stderr (and optionally fd 3) are pipes to us.
///
/// Used by the grader and the tests to run an executable and look at it from
/// outside while it runs: read its first lines, inspect /proc/PID, then let it
/// finish. Everything is single-threaded: poll(2) drains both outputs, so a
/// chatty child never blocks on a full pipe.
public final class ChildProcess {
    /// The pid of the process we started.
    public let pid: pid_t
    private var stdinFD: Int32
    private var outputs: [Int32: [UInt8]] = [:]  // fd → bytes read so far
    private var open: Set<Int32> = []
    private let stdoutFD: Int32, stderrFD: Int32, reportFD: Int32
    private var consumed = 0  // bytes of stdout already returned by readLine
    private var status: ExitStatus?

    /// Everything a finished child produced.
    public struct Result: Sendable {
        public var status: ExitStatus
        public var stdout: String
        public var stderr: String
        /// What the child wrote to fd 3, if `reportPipe` was requested.
        public var report: String
        public var timedOut: Bool
    }

    /// Starts `request` with fresh pipes; `beforeGo` sees the pid before the child runs.
    /// With `reportPipe`, the child's fd 3 is a fourth pipe (`Result.report`).
    public init(_ request: SpawnRequest, reportPipe: Bool = false, beforeGo: (pid_t) throws -> Void = { _ in }) throws {
        var pipes: [(read: Int32, write: Int32)] = []
        for _ in 0..<(reportPipe ? 4 : 3) {
            var fds: [Int32] = [-1, -1]
            if cs_pipe_cloexec(&fds) != 0 {
                let error = SyscallError(call: "pipe2", errno: .init(rawValue: errno))
                for pipe in pipes {
                    close(pipe.read)
                    close(pipe.write)
                }
                throw error
            }
            pipes.append((fds[0], fds[1]))
        }
        // The child's ends: it gets copies at 0, 1, 2 (and 3); ours are closed
        // once it has started, so we see EOF when it (and its children) exit.
        let childEnds = [pipes[0].read, pipes[1].write, pipes[2].write] + (reportPipe ? [pipes[3].write] : [])
        defer { for fd in childEnds { close(fd) } }
        var request = request
        request.fileDescriptors = childEnds
        do {
            pid = try Spawn.start(request, beforeGo: beforeGo)
        } catch {
            close(pipes[0].write)
            for pipe in pipes.dropFirst() { close(pipe.read) }
            throw error
        }
        stdinFD = pipes[0].write
        stdoutFD = pipes[1].read
        stderrFD = pipes[2].read
        reportFD = reportPipe ? pipes[3].read : -1
        for fd in [stdoutFD, stderrFD, reportFD] where fd >= 0 {
            open.insert(fd)
            outputs[fd] = []
        }
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        }
        for fd in [stdinFD] + Array(open) where fd >= 0 { close(fd) }
    }

    /// Writes to the child's stdin.
    public func write(_ text: String) {
        guard stdinFD >= 0 else { return }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { cs_write_nosigpipe(stdinFD, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }  // EPIPE: the child is gone or closed stdin
            bytes = bytes.dropFirst(count)
        }
    }

    /// Closes the child's stdin, so a `read` in it sees end of file.
    public func closeStdin() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    /// The next line of stdout (without its newline), or nil at EOF or after `timeout` seconds.
    public func readLine(timeout: Double) -> String? {
        let deadline = ChildProcess.now() + timeout
        while true {
            let bytes = outputs[stdoutFD] ?? []
            if let newline = bytes[consumed...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: bytes[consumed..<newline], as: UTF8.self)
                consumed = newline + 1
                return line
            }
            if !open.contains(stdoutFD) || ChildProcess.now() >= deadline { return nil }
            pump(until: deadline)
        }
    }

    /// Closes stdin, collects all output and waits for the child. After `timeout`
    /// seconds the child (and its process group, if it leads one) is killed.
    public func finish(timeout: Double) -> Result {
        closeStdin()
        let deadline = ChildProcess.now() + timeout
        var timedOut = false
        while !open.isEmpty {
            if ChildProcess.now() >= deadline {
                timedOut = true
                kill(-pid, SIGKILL)  // the group, when the child made one (newSession)
                kill(pid, SIGKILL)
                deadlineDrain()
                break
            }
            pump(until: deadline)
        }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let status = ExitStatus(waitStatus: raw)
        self.status = status
        func text(_ fd: Int32) -> String { String(decoding: outputs[fd] ?? [], as: UTF8.self) }
        return Result(
            status: status, stdout: text(stdoutFD), stderr: text(stderrFD), report: text(reportFD), timedOut: timedOut)
    }

    /// Starts, closes stdin at once and returns everything: the common case.
    public static func run(_ request: SpawnRequest, timeout: Double = 30) throws -> Result {
        try ChildProcess(request).finish(timeout: timeout)
    }

    /// Reads whatever is ready on the open outputs, waiting at most until `deadline`.
    private func pump(until deadline: Double) {
        var polls = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let wait = max(0, min(Int32((deadline - ChildProcess.now()) * 1000) + 1, 1000))
        guard poll(&polls, nfds_t(polls.count), wait) > 0 else { return }
        for entry in polls where entry.revents != 0 { drain(entry.fd) }
    }

    private func drain(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = read(fd, &chunk, chunk.count)
        if count > 0 {
            outputs[fd, default: []].append(contentsOf: chunk[0..<count])
        } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
            open.remove(fd)
            close(fd)
        }
    }

    /// After a kill: the pipes close once every process holding them is gone.
    private func deadlineDrain() {
        let stop = ChildProcess.now() + 2
        while !open.isEmpty && ChildProcess.now() < stop { pump(until: stop) }
        for fd in open { close(fd) }
        open.removeAll()
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
