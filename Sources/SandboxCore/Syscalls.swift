import CSandbox

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Thin throwing wrappers, one per system call, in the order a student meets them.
///
/// Each one turns the C convention (-1 and errno) into a `SyscallError` via `check`.
public enum Sys {
    /// Changes the calling process's root directory. Corresponds to chroot(2).
    ///
    /// It does not change the working directory: call `chdir("/")` next, or the
    /// process keeps a handle outside the new root (the first step of the escape).
    public static func chroot(_ path: String) throws(SyscallError) {
        try check("chroot", path: path) { Glibc.chroot(path) }
    }

    /// Changes the working directory. Corresponds to chdir(2).
    public static func chdir(_ path: String) throws(SyscallError) {
        try check("chdir", path: path) { Glibc.chdir(path) }
    }

    /// Creates a directory. Corresponds to mkdir(2).
    public static func mkdir(_ path: String, mode: mode_t = 0o755) throws(SyscallError) {
        try check("mkdir", path: path) { Glibc.mkdir(path, mode) }
    }

    /// Makes a new directory, mode 0700, named `prefix` plus six random
    /// characters (`/tmp/sb-grade-XXXXXX`), and returns its path. Corresponds to mkdtemp(3).
    public static func makeTemporaryDirectory(_ prefix: String) throws(SyscallError) -> String {
        var template = Array((prefix + "XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            let parent = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) }
            throw SyscallError(call: "mkdtemp", path: parent, errno: .init(rawValue: errno))
        }
        return String(cString: made)
    }

    /// Removes an empty directory. Corresponds to rmdir(2).
    public static func rmdir(_ path: String) throws(SyscallError) {
        try check("rmdir", path: path) { Glibc.rmdir(path) }
    }

    /// Opens a directory as a file descriptor that stays valid wherever the
    /// process's root or cwd moves. Corresponds to open(2) with O_DIRECTORY.
    /// The caller owns the fd: `removeDirectory(named:in:)` closes it.
    public static func openDirectory(_ path: String) throws(SyscallError) -> Int32 {
        try check("open(O_DIRECTORY)", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }

    /// Removes the empty directory `name` inside the directory open as `directory`,
    /// ignoring errors (a cleanup step), then closes `directory`. Corresponds to unlinkat(2).
    public static func removeDirectory(named name: String, in directory: Int32) {
        _ = unlinkat(directory, name, AT_REMOVEDIR)
        close(directory)
    }

    /// Removes a file. Corresponds to unlink(2).
    public static func unlink(_ path: String) throws(SyscallError) {
        try check("unlink", path: path) { Glibc.unlink(path) }
    }

    /// Sets the hostname of the caller's UTS namespace. Corresponds to sethostname(2).
    public static func sethostname(_ name: String) throws(SyscallError) {
        let bytes = Array(name.utf8)
        try check("sethostname(\"\(name)\")") { cs_sethostname(name, bytes.count) }
    }

    /// The hostname of the caller's UTS namespace, from uname(2).
    public static func hostname() -> String { uname().nodename }

    /// What uname(2) reports: kernel name, hostname, release, machine.
    public static func uname() -> (sysname: String, nodename: String, release: String, machine: String) {
        var info = utsname()
        _ = Glibc.uname(&info)
        func field<T>(_ value: inout T) -> String {
            withUnsafeBytes(of: &value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return (field(&info.sysname), field(&info.nodename), field(&info.release), field(&info.machine))
    }

    /// The identity of a file: device and inode. Corresponds to stat(2).
    public static func stat(_ path: String) throws(SyscallError) -> FileIdentity {
        var buf = Glibc.stat()
        try check("stat", path: path) { fstatat(AT_FDCWD, path, &buf, 0) }
        return FileIdentity(device: UInt64(buf.st_dev), inode: UInt64(buf.st_ino), mode: UInt32(buf.st_mode))
    }

    /// The target of a symbolic link. Corresponds to readlink(2).
    public static func readlink(_ path: String) throws(SyscallError) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = try check("readlink", path: path) { Glibc.readlink(path, &buffer, buffer.count - 1) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether a path exists (without following a final symlink).
    public static func exists(_ path: String) -> Bool {
        var buf = Glibc.stat()
        return lstat(path, &buf) == 0
    }

    /// Replaces the process image. Corresponds to execve(2); returns only by throwing.
    ///
    /// Flushes stdio first: buffered output would otherwise be lost (rule 6).
    public static func execve(_ path: String, arguments: [String], environment: [String]) throws(SyscallError) -> Never
    {
        fflush(nil)
        let argv = CStringArray(arguments)
        let envp = CStringArray(environment)
        _ = Glibc.execve(path, argv.pointers, envp.pointers)
        throw SyscallError(call: "execve", path: path, errno: .init(rawValue: Glibc.errno))
    }

    /// Waits for a child to end and reports how. Corresponds to waitpid(2).
    public static func waitpid(_ pid: pid_t) throws(SyscallError) -> ExitStatus {
        var status: Int32 = 0
        try check("waitpid(\(pid))") { Glibc.waitpid(pid, &status, 0) }
        return ExitStatus(waitStatus: status)
    }

    /// Sends a signal. Corresponds to kill(2).
    public static func kill(_ pid: pid_t, _ signal: Int32) throws(SyscallError) {
        try check("kill(\(pid), \(signal))") { Glibc.kill(pid, signal) }
    }

    /// The process's environment, as `KEY=value` strings.
    public static func environment() -> [String] {
        var result: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            result.append(String(cString: entry))
            cursor += 1
        }
        return result
    }

    /// The value of one environment variable.
    public static func getenv(_ name: String) -> String? {
        Glibc.getenv(name).map { String(cString: $0) }
    }

    /// Finds a command the way execvp(3) does: a name with a `/` is used as
    /// it is, otherwise each directory of `searchPath` is tried in order.
    public static func resolveExecutable(_ command: String, searchPath: String?) -> String? {
        if command.contains("/") { return command }
        let directories = (searchPath ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .split(separator: ":", omittingEmptySubsequences: false)
        for directory in directories {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + command
            var buf = Glibc.stat()
            if fstatat(AT_FDCWD, candidate, &buf, 0) == 0, (buf.st_mode & S_IFMT) == S_IFREG,
                access(candidate, X_OK) == 0
            {
                return candidate
            }
        }
        return nil
    }
}

/// A file's device and inode: what "the same file" means to the kernel.
public struct FileIdentity: Equatable, Sendable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    public var mode: UInt32
    public init(device: UInt64, inode: UInt64, mode: UInt32 = 0) {
        self.device = device
        self.inode = inode
        self.mode = mode
    }
    public static func == (lhs: FileIdentity, rhs: FileIdentity) -> Bool {
        lhs.device == rhs.device && lhs.inode == rhs.inode
    }
    public var description: String { "dev \(device >> 8):\(device & 0xff) ino \(inode)" }
}

/// How a child process ended.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// Decodes the status word from wait(2).
    public init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(status & 0x7f)
        }
    }

    /// The exit code a shell would report: the status, or 128 + signal.
    public var shellCode: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// A NULL-terminated `char *[]` (argv, envp) that lives as long as this value.
public final class CStringArray {
    /// The array as C sees it.
    public let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    public init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(pointers[index]) }
        pointers.deallocate()
    }
}
