import SandboxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one place where cgroup files are written, directories made and removed,
/// so a student sees that a cgroup is nothing but files:
///
///     → write /sys/fs/cgroup/sandboxlabs/web/memory.max "67108864"  ok
///
/// With a narrator, each change is shown with its real path and text; without,
/// it happens silently. `createMissing` is for fixture trees in tests, where
/// files do not appear by themselves as they do on cgroupfs.
public struct CgroupFiles {
    public let narrator: Narrator?
    public var createMissing: Bool

    public init(narrator: Narrator? = nil, createMissing: Bool = false) {
        self.narrator = narrator
        self.createMissing = createMissing
    }

    /// Writes `value` with one write(2): the kernel parses each write as a whole.
    /// Corresponds to open(2) + write(2) on a cgroup file.
    public func write(_ path: String, _ value: String) throws(SyscallError) {
        try narrated("write \(path) \"\(value)\"") { () throws(SyscallError) in
            try ProcFile.write(path, value, create: createMissing)
        }
    }

    /// The file's text without surrounding whitespace, or nil if it cannot be read.
    public func read(_ path: String) -> String? { ProcFile.readTrimmed(path) }

    /// Makes a cgroup directory; returns false if it already existed. Corresponds to mkdir(2).
    @discardableResult
    public func makeDirectory(_ path: String) throws(SyscallError) -> Bool {
        if Sys.exists(path) { return false }
        do {
            try narrated("mkdir \(path)") { () throws(SyscallError) in try Sys.mkdir(path) }
        } catch  where error.errno == .fileExists {
            return false  // another run made it between our look and our mkdir
        }
        return true
    }

    /// Removes a cgroup directory, retrying while the kernel says EBUSY: right
    /// after its last task exited, a group can stay busy for a moment until the
    /// task is fully released. Corresponds to rmdir(2).
    public func removeDirectory(_ path: String, attempts: Int = 100) throws(SyscallError) {
        try narrated("rmdir \(path)") { () throws(SyscallError) in
            if createMissing { removeFixtureFiles(path) }
            var delay: UInt32 = 1000
            for attempt in 1...attempts {
                do throws(SyscallError) {
                    return try Sys.rmdir(path)
                } catch {
                    guard error.errno == .resourceBusy && attempt < attempts else { throw error }
                    usleep(delay)
                    delay = min(delay * 2, 50_000)  // back off: 1 ms, 2 ms, ... then every 50 ms
                }
            }
        }
    }

    /// Sends a signal to one process, narrated. Corresponds to kill(2).
    public func kill(_ pid: pid_t, signal: Int32 = SIGKILL) throws(SyscallError) {
        try narrated("kill(\(pid), \(signal == SIGKILL ? "SIGKILL" : String(signal)))") { () throws(SyscallError) in
            try Sys.kill(pid, signal)
        }
    }

    /// The pids listed in a cgroup.procs file.
    public func processes(_ path: String) -> [pid_t] {
        (read(path) ?? "").split(separator: "\n").compactMap { pid_t($0.trimmingWhitespace()) }
    }

    private func narrated(_ call: String, _ body: () throws(SyscallError) -> Void) throws(SyscallError) {
        guard let narrator else { return try body() }
        do {
            try narrator.step(call) { try body() }
        } catch let error as SyscallError {
            throw error
        } catch {
            throw SyscallError(call: call, errno: .init(rawValue: EIO))  // step rethrows only what body threw
        }
    }

    /// In a fixture tree the "cgroup files" are ordinary files that rmdir would refuse.
    private func removeFixtureFiles(_ directory: String) {
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if entry.pointee.d_type == UInt8(DT_REG) { unlink(directory + "/" + name) }
        }
    }
}

/// Polls `condition` until it holds, about every 10 ms, for at most `seconds`.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let rounds = Int(seconds * 100)
    for _ in 0..<rounds {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
