#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Domain errors of SandboxCore that are not a single failed system call.
public enum CoreError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A namespace, mount or capability change was attempted with other threads alive.
    case multiThreaded(operation: String, threads: Int)
    /// A file under /proc did not have the expected shape.
    case unexpectedFormat(path: String, detail: String)

    public var description: String {
        switch self {
        case .multiThreaded(let operation, let threads):
            "\(operation): this process has \(threads) threads; the kernel applies namespace and"
                + " capability changes to the calling thread only (and refuses a new user namespace),"
                + " so it must run single-threaded"
        case .unexpectedFormat(let path, let detail):
            "\(path): unexpected format: \(detail)"
        }
    }
}

/// The number of threads in this process, from `Threads:` in /proc/self/status.
public func currentThreadCount() throws -> Int {
    let status = try ProcFile.read("/proc/self/status")
    guard let value = ProcFile.field("Threads", in: status), let count = Int(value) else {
        throw CoreError.unexpectedFormat(path: "/proc/self/status", detail: "no Threads: line")
    }
    return count
}

/// Refuses to go on unless this process has exactly one thread.
///
/// Namespace, mount and capability state is per thread: with a second thread
/// alive, unshare(CLONE_NEWUSER) fails with EINVAL, setns into a mount or user
/// namespace fails, unshare(CLONE_NEWNS) moves only the calling thread, and a
/// capability drop leaves the other threads privileged. Call this before
/// unshare, setns, fork or a capability change.
public func requireSingleThreaded(_ operation: String) throws {
    let threads = try currentThreadCount()
    if threads != 1 { throw CoreError.multiThreaded(operation: operation, threads: threads) }
}
