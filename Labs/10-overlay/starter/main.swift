// Starter for lab10, generated from Sources/sb-overlay/main.swift by scripts/make-starters. Fill in the TODOs.
// sb-overlay: an overlay filesystem, the layered root of every Docker container.
//
// overlayfs shows several directories as one: read-only lower layers (an
// image's layers) under one writable upper layer (the container's). Reading
// finds the topmost copy of a name; writing copies the file up first; deleting
// leaves a whiteout; a directory recreated after deletion becomes opaque.
//
//   sb-overlay demo       builds two lower layers in a scratch directory and
//                         walks through copy-up, whiteouts, opaque directories
//                         and two "containers" sharing one lower layer
//   sb-overlay mount LOWERS UPPER WORK MERGED -- CMD
//                         mounts one overlay and runs CMD with it (lab 10's contract)
//
// Both make their mounts in a private mount namespace of their own: unshare
// first, make / recursively private second, mount third. Nothing ever appears
// in the host's mount table, and the namespace's mounts vanish with it.
import ArgumentParser
import SandboxCore
import SandboxMounts
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct OverlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-overlay",
        abstract: "Overlay filesystems: copy-up, whiteouts, opaque directories, shared lower layers.",
        discussion: """
            Docker stores an image as layers and gives each container an overlay of
            them: every image layer is a lowerdir, the container's writable layer is
            the upperdir. `docker diff` lists what is in the upperdir.

            Examples (as root):
              sb-overlay demo
              sb-overlay demo --json --workdir /var/tmp
              sb-overlay mount /tmp/l2:/tmp/l1 /tmp/up /tmp/wk /tmp/merged -- /bin/ls /tmp/merged

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line), then the command's own output. Exit status: the command's;
            125 if sb-overlay itself failed, 126 if the command could not run, 127 if
            it was not found, 64 on a usage error.
            """,
        subcommands: [OverlayDemo.self, OverlayMount.self],
        defaultSubcommand: OverlayDemo.self
    )
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "Print nothing of our own; only the command's output.")
    var quiet = false

    @Flag(help: "Print one JSON record (paths, mount data, what was found) as the first line.")
    var json = false

    func narrator() -> Narrator { Narrator(tool: "sb-overlay", mode: .from(quiet: quiet, json: json)) }
}

/// Gives this process a mount namespace of its own whose mounts never propagate back.
///
/// Why private before anything else: on a systemd host / is shared, so an
/// overlay mounted in a fresh copy of the table would also appear on the host.
func enterPrivateMountNamespace(_ narrator: Narrator) throws {
    try requireSingleThreaded("unshare(CLONE_NEWNS)")
    try narrator.step("unshare(CLONE_NEWNS)") { try unshare([.mnt]) }
    try narrator.step(Mounts.describe(source: nil, target: "/", type: nil, flags: [.recursive, .private], data: nil)) {
        try Mounts.setPropagation("/", .private)
    }
}

/// Reports an error the way every SandboxLabs tool does and picks the exit code.
func fail(_ error: Error) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    Terminal.reportError(tool: "sb-overlay", error)
    if let error = error as? SyscallError, error.call == "execve" {
        return ExitCode(error.commandExitStatus)
    }
    return ExitCode(125)
}

OverlayCommand.main()
