import ArgumentParser
import SandboxCore
import SandboxMounts
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// `sb-overlay mount LOWERS UPPER WORK MERGED -- CMD`: lab 10's contract.
struct OverlayMount: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount one overlay in a private mount namespace and run a command with it.",
        discussion: """
            LOWERS is a ':'-separated list of lower directories, the first one on top
            (as in the kernel's lowerdir=). UPPER and WORK must be empty-or-existing
            directories on one filesystem that supports whiteouts (tmpfs, ext4; not 9p
            and not another overlay). The command runs with the overlay at MERGED; after
            it exits the overlay is unmounted and its changes stay in UPPER.

            Example (as root):
              sb-overlay mount /tmp/l2:/tmp/l1 /tmp/up /tmp/wk /tmp/merged -- /bin/sh -c 'rm /tmp/merged/x'
              ls -l /tmp/up     (x is now a character device 0, 0: a whiteout)
            """
    )

    @OptionGroup var output: OutputOptions

    @Argument(help: "Lower directories separated by ':', topmost first.")
    var lowers: String

    @Argument(help: "The writable upper directory.")
    var upper: String

    @Argument(help: "The work directory (same filesystem as UPPER, empty).")
    var work: String

    @Argument(help: "Where the merged view appears.")
    var merged: String

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    func run() throws {
        let narrator = output.narrator()
        let argv = command.isEmpty ? ["/bin/sh"] : command
        do {
            let path = try Sys.resolveCommand(argv[0])  // before any mount: a typo changes nothing
            let layers = OverlayLayers(
                lower: lowers.split(separator: ":", omittingEmptySubsequences: false).map(String.init),
                upper: upper, work: work)
            let data = try layers.mountData()
            try OverlayInspect.requireUpperCapable(upper)
            let outside = try NamespaceID.of(.mnt)
            try mountOverlay(layers, narrator: narrator)
            let inside = try NamespaceID.of(.mnt)
            narrator.observe("inside: ", "\(inside)  (/proc/self/ns/mnt now)")
            narrator.observe("outside:", "\(outside)  (the host's table never sees \(merged))")
            narrator.fact(
                "mnt", .object([("inside", .string(inside.description)), ("outside", .string(outside.description))]))
            narrator.fact("data", .string(data))
            narrator.fact("merged", .string(merged))
            let status = try runCommand(path: path, argv: argv, narrator: narrator)
            try narrator.step("umount2(\"\(merged)\", 0)") { try Mounts.unmount(merged) }
            narrator.explain("the changes stay in \(upper): look at it with ls -la and getfattr -d -m trusted.")
            if status.shellCode != 0 { throw ExitCode(status.shellCode) }
        } catch {
            throw fail(error)
        }
    }

    func mountOverlay(_ layers: OverlayLayers, narrator: Narrator) throws {
        // BEGIN SOLUTION lab10: Enter a mount namespace of your own (unshare(2) with CLONE_NEWNS), make / recursively private (MS_REC|MS_PRIVATE), then mount(2) an "overlay" at MERGED with the data "lowerdir=LOWERS,upperdir=UPPER,workdir=WORK".
        try enterPrivateMountNamespace(narrator)
        let data = try layers.mountData()
        try narrator.step(Mounts.describe(source: "overlay", target: merged, type: "overlay", flags: [], data: data)) {
            try layers.mount(at: merged)
        }
        // END SOLUTION
    }

    /// Runs the command in a child (still in our namespace) so we can unmount after it.
    func runCommand(path: String, argv: [String], narrator: Narrator) throws -> ExitStatus {
        let child = try narrator.step("clone(SIGCHLD)") { try Spawn.clone(SpawnRequest(path: path, arguments: argv)) }
        narrator.record(call: "child: " + Narrator.execveCall(path, argv), result: "…")
        narrator.emitRecord()
        try child.go()
        let status = try Sys.waitpid(child.pid)
        narrator.observe("child:  ", "\(status)")
        return status
    }
}
