// Starter for lab05, generated from Sources/sb-mount/Run.swift by scripts/make-starters. Fill in the TODOs.
// sb-mount run: the root switch every container runtime makes.
//
//   unshare(CLONE_NEWNS)                       a copy of the mount table
//   mount(NULL, "/", NULL, MS_REC|MS_PRIVATE)  cut every mount off from the host's
//   bind ROOTFS on itself, pivot_root, detach  ROOTFS becomes /, the old root is gone
//   mount /proc, /sys (ro), /dev (tmpfs)       what programs expect to find
//   execve(CMD)                                the command starts in the new root
import ArgumentParser
import SandboxCore
import SandboxMounts
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command in a new mount namespace whose / is ROOTFS (pivot_root), with /proc, /sys, /dev.",
        discussion: """
            Examples (as root):
              sb-mount run .sandboxlabs/rootfs -- /bin/ls /dev
              sb-mount run --try-escape .sandboxlabs/rootfs -- /bin/cat /etc/sandboxlabs-rootfs
              sb-mount run --keep-shared .sandboxlabs/rootfs

            --keep-shared shows the systemd pitfall without touching your machine: a
            throwaway namespace plays the host (cut off from the real one, then made
            shared), and the container skips MS_PRIVATE: its bind mount leaks into
            the "host" and pivot_root fails with EINVAL.
            """
    )

    @OptionGroup var output: OutputOptions

    @Flag(help: "After the root switch, try lab 01's chroot escape and show where it ends.")
    var tryEscape = false

    @Flag(help: "Leave / shared, as on a systemd host: pivot_root fails with EINVAL (in a throwaway namespace).")
    var keepShared = false

    @Argument(help: "The directory that becomes / (a root filesystem).")
    var rootfs: String

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    func run() throws {
        let narrator = output.narrator()
        do {
            let newRoot = try NewRoot(rootfs)
            let outside = (mnt: try NamespaceID.of(.mnt), mounts: try MountInfo.read().count)
            narrator.fact("rootfs", .string(newRoot.path))
            try requireSingleThreaded("unshare")
            let host = keepShared ? try SharedHostImitation(narrator: narrator) : nil
            try enterNamespace(narrator: narrator)
            do {
                try switchRoot(to: newRoot.path, narrator: narrator)
            } catch {
                try host?.showLeak(of: newRoot.path, narrator: narrator)
                throw error
            }
            try mountFilesystems(narrator: narrator)
            try observe(outside: outside, narrator: narrator)
            var escaped = false
            if tryEscape { escaped = try EscapeAttempt(narrator: narrator).run() }
            narrator.fact("escape", .object([("tried", .bool(tryEscape)), ("escaped", .bool(escaped))]))
            try execute(narrator: narrator)
        } catch let error as SyscallError where error.call == "execve" {
            Terminal.reportError(tool: "sb-mount", error)
            throw ExitCode(error.commandExitStatus)
        } catch {
            Terminal.reportError(tool: "sb-mount", error)
            throw ExitCode(125)
        }
    }

    /// A copy of the mount table, cut off from the one it was copied from.
    func enterNamespace(narrator: Narrator) throws {
        // TODO(lab05): Give this process its own mount namespace with unshare(CLONE_NEWNS).
        if keepShared {
            narrator.explain("--keep-shared: no MS_PRIVATE, so / stays a peer of the \"host\" namespace")
            return
        }
        // runc makes / rslave instead, so that host mounts made later still reach the
        // container; we choose rprivate: nothing crosses in either direction.
        // TODO(lab05): FIRST, before any other mount, make every mount in the new namespace
        //   private: mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL). On a systemd host / is
        //   shared: without this, mounts leak to the host and pivot_root fails with EINVAL.
    }

    /// Makes `path` the root of this mount namespace; the old root is detached.
    func switchRoot(to path: String, narrator: Narrator) throws {
        // TODO(lab05): Bind-mount ROOTFS onto itself (pivot_root needs a mount point), chdir into
        //   it, pivot_root(".", "."), then umount2(".", MNT_DETACH) to drop the old root stacked on
        //   top, and chdir("/"). Mounts.pivotRoot does all five.
    }

    /// The kernel filesystems a program expects, mounted in the new root.
    func mountFilesystems(narrator: Narrator) throws {
        let step: ContainerFilesystems.Step = { call, body in try narrator.step(call, body) }
        // TODO(lab05): Mount a new proc at /proc, sysfs read-only (MS_RDONLY) at /sys, and a tmpfs
        //   at /dev holding null, zero, full, random, urandom, tty (mknod), the links fd, stdin,
        //   stdout, stderr, ptmx, and a devpts (newinstance) at /dev/pts.
    }

    /// What the kernel says now: our namespace, our mount table.
    func observe(outside: (mnt: NamespaceID, mounts: Int), narrator: Narrator) throws {
        let inside = try NamespaceID.of(.mnt)
        let mounts = try MountInfo.read()
        let points = mounts.map(\.mountPoint)
        let shown = points.count > 8 ? points.prefix(6).joined(separator: " ") + " …" : points.joined(separator: " ")
        narrator.observe("inside: ", "\(inside)    \(mounts.count) mounts: \(shown)")
        narrator.observe("outside:", "\(outside.mnt)    \(outside.mounts) mounts (the table we started from)")
        if inside == outside.mnt {
            narrator.explain("the same mount namespace as before: every mount made here changed the host's table!")
        } else if points.first == "/" && !points.dropFirst().contains("/") {
            narrator.explain("ROOTFS is the root of this namespace and the old root is gone: nothing left to climb to.")
        } else {
            narrator.explain("the old root is still in this namespace's table, above or beside ROOTFS.")
        }
        narrator.fact("mnt", .object([("inside", .string("\(inside)")), ("outside", .string("\(outside.mnt)"))]))
        narrator.fact("mounts", .array(points.map { .string($0) }))
    }

    /// Runs the command; path lookup happens in the new root.
    func execute(narrator: Narrator) throws {
        let argv = command.isEmpty ? ["/bin/sh"] : command
        let path = try Sys.resolveCommand(argv[0])
        narrator.record(call: Narrator.execveCall(path, argv), result: "…")
        narrator.emitRecord()
        try Sys.execve(path, arguments: argv, environment: Sys.environment())
    }
}

/// The directory that will become "/", checked before anything changes.
struct NewRoot {
    /// The absolute, symlink-free path.
    let path: String

    init(_ given: String) throws {
        guard let resolved = realpath(given, nil) else {
            throw RootError(
                "root filesystem \(given): \(String(cString: strerror(errno)))"
                    + "; build one with scripts/make-rootfs")
        }
        defer { free(resolved) }
        path = String(cString: resolved)
        guard (try Sys.stat(path).mode & S_IFMT) == S_IFDIR else {
            throw RootError("root filesystem \(given) is not a directory")
        }
        if path == "/" { throw RootError("root filesystem \(given) is the host's /: nothing to switch to") }
    }
}

/// Why ROOTFS cannot become the new root.
struct RootError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
