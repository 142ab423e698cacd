import ArgumentParser
import SandboxCore
import SandboxImage
import SandboxMounts
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// `sb-image mount`: an image's snapshots under a fresh writable layer, like a container's root.
struct MountImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount the image's snapshots plus a writable layer as one overlay at TARGET.",
        discussion: """
            The snapshots are made first if missing. The writable layer is
            STORE/containers/NAME/upper (work beside it). Without a command the overlay
            stays mounted in this mount namespace until `sb-image umount`; with
            `-- CMD` it is mounted in a private mount namespace, CMD runs with TARGET as
            its working directory, and everything is unmounted and removed afterwards.
            Needs root.
            """)

    @OptionGroup var image: ImageOptions
    @OptionGroup var store: StoreOptions
    @Option(help: "The container's name: its writable layer is STORE/containers/NAME.")
    var name: String
    @Argument(help: "An existing empty directory to mount the overlay on.")
    var target: String
    @Argument(parsing: .postTerminator, help: "A command to run with the overlay, after --.")
    var command: [String] = []
    @OptionGroup var limits: LimitOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        do {
            let executable = try command.first.map { try Sys.resolveCommand($0) }
            let (layout, resolved) = try image.open(narrator, catchInterrupts: true)
            defer { layout.close() }  // an archive's temporary copy is read until here
            let snapshots = try SnapshotStore(path: store.store)
            // Before any unpacking: a name in use is the user's to resolve.
            if snapshots.hasContainer(name) {
                throw ValidationError(
                    "a container named \(name) exists in \(store.store); remove it with `sb-image umount --store"
                        + " \(store.store) --name \(name) TARGET`, or choose another --name")
            }
            let lowers = try prepareSnapshots(resolved, store: snapshots, limits: limits.limits, narrator: narrator)
            guard !lowers.isEmpty else { throw ValidationError("the image has no layers to mount") }
            let (upper, work) = try narrator.step("mkdir containers/\(name)/{upper,work}") {
                try snapshots.containerDirectories(name)
            }
            do {
                try mount(
                    OverlayLayers(lower: lowers.reversed(), upper: upper, work: work), executable: executable,
                    narrator: narrator)
            } catch {
                snapshots.removeContainer(name)
                throw error
            }
            if let executable {
                // Whatever happens to the command, its writable layer goes with it.
                defer {
                    try? narrator.step("umount2(\(JSON.quote(target)), 0)") { try Mounts.unmount(target) }
                    narrator.record(call: "rm -r containers/\(name)", result: "ok")
                    snapshots.removeContainer(name)
                }
                let status = try run(executable, narrator: narrator)
                if status.shellCode != 0 { throw ExitCode(status.shellCode) }
            } else {
                narrator.explain("mounted; undo with: sb-image umount --store \(store.store) --name \(name) \(target)")
                narrator.emitRecord()
            }
        } catch {
            narrator.emitRecord()
            throw fail(error)
        }
    }

    private func mount(_ layers: OverlayLayers, executable: String?, narrator: Narrator) throws {
        let data = try layers.mountData()
        // The kernel copies mount data into one page: about 30 layers with a long store path.
        guard data.utf8.count < 4096 else {
            throw ValidationError(
                "the overlay's mount data is \(data.utf8.count) bytes (limit 4095); use a shorter --store path")
        }
        if executable != nil {
            try requireSingleThreaded("unshare(CLONE_NEWNS)")
            try narrator.step("unshare(CLONE_NEWNS)") { try unshare([.mnt]) }
            try narrator.step(
                Mounts.describe(source: nil, target: "/", type: nil, flags: [.recursive, .private], data: nil)
            ) {
                try Mounts.setPropagation("/", .private)
            }
        }
        let shown = "lowerdir=…,upperdir=…,workdir=…"  // in full below and in --json's "data"
        try narrator.step(Mounts.describe(source: "overlay", target: target, type: "overlay", flags: [], data: shown)) {
            try layers.mount(at: target)
        }
        narrator.observe("lowerdir:", "\(layers.lower.count) snapshots, top first")
        narrator.observe("upperdir:", layers.upper)
        narrator.fact("target", .string(target))
        narrator.fact("data", .string(data))
    }

    private func run(_ executable: String, narrator: Narrator) throws -> ExitStatus {
        var request = SpawnRequest(path: executable, arguments: command)
        request.workingDirectory = target
        let child = try narrator.step("clone(SIGCHLD)") { try Spawn.clone(request) }
        narrator.record(call: "child: " + Narrator.execveCall(executable, command), result: "…")
        narrator.emitRecord()
        try child.go()
        return try Sys.waitpid(child.pid)
    }
}

/// `sb-image umount`: undoes `mount` without a command.
struct UnmountImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "umount", abstract: "Unmount an image mounted by `sb-image mount` and remove its writable layer.")

    @OptionGroup var store: StoreOptions
    @Option(help: "The container's name given to mount.")
    var name: String
    @Argument(help: "Where it is mounted.")
    var target: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        do {
            let snapshots = try SnapshotStore(path: store.store)
            guard snapshots.hasContainer(name) else {
                throw ValidationError("no container named \(name) in \(store.store) (see its containers/ directory)")
            }
            do {
                try narrator.step("umount2(\(JSON.quote(target)), 0)") { try Mounts.unmount(target) }
            } catch let error as SyscallError where error.errno.rawValue == EINVAL {
                // EINVAL: TARGET is not a mount point (already unmounted, or a typo). Remove the layer anyway.
                narrator.explain("\(target) is not mounted; removing the writable layer anyway")
            }
            try narrator.step("rm -r containers/\(name)") { snapshots.removeContainer(name) }
        } catch {
            narrator.emitRecord()
            throw fail(error)
        }
        narrator.emitRecord()
    }
}
