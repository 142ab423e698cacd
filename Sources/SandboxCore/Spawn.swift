import CSandbox

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What to start, and how the child is set up before it execs.
///
/// The child side runs in C (`cs_spawn`), never in Swift: see csandbox.h.
public struct SpawnRequest: Sendable {
    /// The program to execve: a path, resolved by the caller.
    public var path: String
    /// argv, including argv[0].
    public var arguments: [String]
    /// envp, as `KEY=value`.
    public var environment: [String]
    /// CLONE_NEW* flags for clone(2); 0 makes an ordinary child.
    public var cloneFlags: Int32 = 0
    /// Child fd i becomes a copy of our fd `fileDescriptors[i]` (-1 leaves it closed);
    /// nil inherits 0, 1 and 2. Every other fd is closed on exec.
    public var fileDescriptors: [Int32]? = nil
    /// A hostname the child sets before exec (use with CLONE_NEWUTS).
    public var hostname: String? = nil
    /// A directory the child changes into before exec.
    public var workingDirectory: String? = nil
    /// Become uid/gid 0 after the parent wrote the maps (with CLONE_NEWUSER).
    public var becomeRoot = false
    /// Start a new session (and process group), so the whole group can be killed.
    public var newSession = false

    public init(path: String, arguments: [String], environment: [String] = Sys.environment()) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
    }
}

/// A cloned child that waits for `go()`: the moment for the parent to write
/// its uid/gid maps or put it in a cgroup, before it runs anything.
///
/// If the value is dropped without `go()` or `abort()`, the child is killed:
/// no half-started process is ever left behind.
public final class PendingChild {
    /// The child's pid, in our PID namespace.
    public let pid: pid_t
    private var raw: cs_child
    private let path: String
    private var settled = false

    init(raw: cs_child, path: String) {
        self.raw = raw
        self.pid = raw.pid
        self.path = path
    }

    deinit { if !settled { cs_spawn_abort(&raw) } }

    /// Lets the child run its setup and exec. Returns once it has exec'd;
    /// throws the failing step (with its errno) if it could not, after reaping it.
    public func go() throws(SyscallError) {
        settled = true
        var stage: Int32 = 0
        var err: Int32 = 0
        if cs_spawn_go(&raw, &stage, &err) == 0 { return }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        throw SyscallError(
            call: PendingChild.stageName(stage), path: PendingChild.stageHasPath(stage) ? path : nil,
            errno: .init(rawValue: err))
    }

    /// Kills the child before it ran anything and reaps it.
    public func abort() {
        settled = true
        cs_spawn_abort(&raw)
    }

    static func stageName(_ stage: Int32) -> String {
        switch UInt32(stage) {
        case CS_STAGE_GO.rawValue: "child start (waiting for go)"
        case CS_STAGE_FDS.rawValue: "dup2 (placing the child's fds)"
        case CS_STAGE_HOSTNAME.rawValue: "sethostname"
        case CS_STAGE_SETGID.rawValue: "setresgid(0, 0, 0)"
        case CS_STAGE_SETUID.rawValue: "setresuid(0, 0, 0)"
        case CS_STAGE_CHDIR.rawValue: "chdir"
        case CS_STAGE_EXEC.rawValue: "execve"
        case CS_STAGE_SETSID.rawValue: "setsid"
        case CS_STAGE_PRCTL.rawValue: "prctl(PR_SET_PDEATHSIG)"
        default: "child setup step \(stage)"
        }
    }

    static func stageHasPath(_ stage: Int32) -> Bool {
        UInt32(stage) == CS_STAGE_EXEC.rawValue
    }
}

/// Starting children: clone into new namespaces, let the parent act, exec.
public enum Spawn {
    /// Clones a child that waits for `go()`. Corresponds to clone(2).
    public static func clone(_ request: SpawnRequest) throws(SyscallError) -> PendingChild {
        let argv = CStringArray(request.arguments)
        let envp = CStringArray(request.environment)
        var attr = cs_spawn_attr()
        attr.clone_flags = request.cloneFlags
        attr.become_root = request.becomeRoot ? 1 : 0
        attr.new_session = request.newSession ? 1 : 0
        attr.argv = UnsafePointer(argv.pointers)
        attr.envp = UnsafePointer(envp.pointers)
        if let fds = request.fileDescriptors {
            guard fds.count <= Int(CS_SPAWN_MAX_FDS) else {
                throw SyscallError(call: "clone (more than \(CS_SPAWN_MAX_FDS) fds)", errno: .init(rawValue: EINVAL))
            }
            attr.nfds = Int32(fds.count)
            withUnsafeMutableBytes(of: &attr.fds) { raw in
                let slots = raw.bindMemory(to: Int32.self)
                for index in slots.indices { slots[index] = index < fds.count ? fds[index] : -1 }
            }
        }
        var child = cs_child(pid: -1, go_fd: -1, err_fd: -1)
        // The strings must live until clone returns; the child has its own copy after that.
        let result = request.path.withCString { path in
            withOptionalCString(request.hostname) { hostname in
                withOptionalCString(request.workingDirectory) { cwd in
                    attr.path = path
                    attr.hostname = hostname
                    attr.cwd = cwd
                    return cs_spawn(&attr, &child)
                }
            }
        }
        if result != 0 {
            throw SyscallError(
                call: "clone(\(NamespaceFlags.names(request.cloneFlags)))", errno: .init(rawValue: errno))
        }
        return PendingChild(raw: child, path: request.path)
    }

    /// Clones, runs `beforeGo` with the child's pid, then lets the child exec.
    /// If `beforeGo` throws, the child is killed and reaped and the error rethrown.
    public static func start(_ request: SpawnRequest, beforeGo: (pid_t) throws -> Void = { _ in }) throws -> pid_t {
        let child = try clone(request)
        do {
            try beforeGo(child.pid)
        } catch {
            child.abort()
            throw error
        }
        try child.go()
        return child.pid
    }
}

/// Names of CLONE_NEW* bits, for narration: `CLONE_NEWUTS|CLONE_NEWPID`.
public enum NamespaceFlags {
    public static let all: [(Int32, String)] = [
        (CS_CLONE_NEWNS, "CLONE_NEWNS"), (CS_CLONE_NEWUTS, "CLONE_NEWUTS"), (CS_CLONE_NEWIPC, "CLONE_NEWIPC"),
        (CS_CLONE_NEWUSER, "CLONE_NEWUSER"), (CS_CLONE_NEWPID, "CLONE_NEWPID"), (CS_CLONE_NEWNET, "CLONE_NEWNET"),
        (CS_CLONE_NEWCGROUP, "CLONE_NEWCGROUP"), (CS_CLONE_NEWTIME, "CLONE_NEWTIME"),
    ]

    /// `CLONE_NEWUTS|SIGCHLD`-style text for a flag word.
    public static func names(_ flags: Int32, withSigchld: Bool = true) -> String {
        var names = all.filter { flags & $0.0 != 0 }.map(\.1)
        if withSigchld { names.append("SIGCHLD") }
        return names.joined(separator: "|")
    }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
