// sb-chroot: change the root directory and run a command there, then show
// why that alone is not a container.
//
// chroot(2) changes one thing: where path lookup starts for "/". It is the
// oldest isolation primitive (1979) and the idea behind a container's root
// filesystem: `docker run debian ls /` lists the image, not your disk.
// It is not a security boundary: a process that keeps CAP_SYS_CHROOT can
// climb out (--escape shows how), which is why runc uses pivot_root(2) in a
// new mount namespace instead (lab 05).
import ArgumentParser
import SandboxCore
import SandboxSecurity

#if canImport(Glibc)
    import Glibc
#endif

struct ChrootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-chroot",
        abstract: "Run a command with another root directory (chroot), or show the classic escape.",
        discussion: """
            Examples (as root; scripts/make-rootfs builds .sandboxlabs/rootfs):
              sb-chroot .sandboxlabs/rootfs -- /bin/ls /
              sb-chroot --escape .sandboxlabs/rootfs -- /bin/ls /

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line), then the command's own output. Exit status: the command's;
            125 if sb-chroot itself failed, 126 if the command could not run, 127 if
            it was not found in the new root, 64 on a usage error.
            """
    )

    @Flag(help: "After entering the chroot, escape it the classic way, then run the command outside.")
    var escape = false

    @Flag(help: "Print nothing of our own; only the command's output.")
    var quiet = false

    @Flag(help: "Print one JSON record (steps, root before and after) as the first line.")
    var json = false

    @Argument(help: "The directory that becomes / (a root filesystem).")
    var rootfs: String

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    func run() throws {
        let narrator = Narrator(tool: "sb-chroot", mode: .from(quiet: quiet, json: json))
        do {
            let newRoot = try RootDirectory(rootfs)
            let hostRoot = try Sys.stat("/")
            let target = try Sys.stat(newRoot.path)
            narrator.fact("rootfs", .string(newRoot.path))
            try requireCapability(.sysChroot)

            // BEGIN SOLUTION lab01: Make rootfs the root directory with chroot(2), then move the working directory into it with chdir("/"). chroot alone leaves the cwd outside the new root.
            try narrator.step("chroot(\"\(rootfs)\")") { try Sys.chroot(rootfs) }
            try narrator.step("chdir(\"/\")") { try Sys.chdir("/") }
            // END SOLUTION
            // Believe the kernel, not the code above: is "/" now the rootfs directory?
            let jailed = try Sys.stat("/")
            narrator.observe(
                "inside: ",
                jailed == target
                    ? "/ is now \(newRoot.path)  (\(jailed))"
                    : "/ is still \(jailed), not \(newRoot.path) (\(target)): no chroot happened")
            narrator.observe("host:   ", "/ was \(hostRoot)")

            var escaped = false
            if escape {
                try ChrootEscape(narrator: narrator, rootfs: newRoot.path).run()
                let after = try Sys.stat("/")
                escaped = jailed != hostRoot && after == hostRoot
                let verdict =
                    escaped
                    ? "= the host's root: escaped"
                    : after == hostRoot ? "= the host's root, but we were never confined" : "still not the host's root"
                narrator.observe("after:  ", "/ is \(after)  " + verdict)
                narrator.explain(
                    "chroot only moved where \"/\" starts; nothing stopped a privileged process from moving it back.")
                narrator.explain(
                    "Containers use pivot_root(2) in a new mount namespace: the old root is unmounted, so there is nothing left to climb to (lab 05)."
                )
            }
            narrator.fact("root", .object([("host", .string("\(hostRoot)")), ("inside", .string("\(jailed)"))]))
            narrator.fact("escaped", .bool(escaped))
            try execute(narrator: narrator)
        } catch let error as SyscallError where error.call == "execve" {
            Terminal.reportError(tool: "sb-chroot", error)
            throw ExitCode(error.commandExitStatus)
        } catch {
            Terminal.reportError(tool: "sb-chroot", error)
            throw ExitCode(125)
        }
    }

    /// Runs the command in whatever root we now have; path lookup happens there.
    func execute(narrator: Narrator) throws {
        let argv = command.isEmpty ? ["/bin/sh"] : command
        let searchPath = Sys.getenv("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        guard let path = Sys.resolveExecutable(argv[0], searchPath: searchPath) else {
            throw SyscallError(call: "execve", path: argv[0], errno: .noSuchFileOrDirectory)
        }
        narrator.record(call: Narrator.execveCall(path, argv), result: "…")
        narrator.emitRecord()
        try Sys.execve(path, arguments: argv, environment: Sys.environment())
    }

    /// chroot(2) checks CAP_SYS_CHROOT; say so before the kernel says EPERM.
    func requireCapability(_ capability: Capability) throws {
        guard try CapabilitySets.current().hasEffective(capability) else {
            throw ValidationError("\(capability.rawValue) is not in this process's effective set; run as root (sudo)")
        }
    }
}

/// The directory that will become "/", checked before we use it.
struct RootDirectory {
    /// The absolute, symlink-free path.
    let path: String

    init(_ given: String) throws {
        guard let resolved = realpath(given, nil) else {
            throw ValidationError(
                "root filesystem \(given): \(String(cString: strerror(errno))); build one with scripts/make-rootfs")
        }
        defer { free(resolved) }
        path = String(cString: resolved)
        guard (try Sys.stat(path).mode & S_IFMT) == S_IFDIR else {
            throw ValidationError("root filesystem \(given) is not a directory")
        }
        if path == "/" { throw ValidationError("root filesystem \(given) is the host's /: nothing to learn there") }
    }
}

ChrootCommand.main()
