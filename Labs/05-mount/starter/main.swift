// Starter for lab05, generated from Sources/sb-mount/main.swift by scripts/make-starters. Fill in the TODOs.
// sb-mount: a mount namespace of one's own, and a real root switch.
//
// A mount namespace is a private copy of the mount table. Docker gives every
// container one: its / is the image's root filesystem, its volumes are bind
// mounts into that table, and nothing it mounts shows up on your machine.
//
//   sb-mount propagation     two namespaces side by side: shared, private and
//                            slave mounts, and which way mounts travel
//   sb-mount run ROOTFS      unshare(CLONE_NEWNS), make / private, pivot_root
//                            into ROOTFS, mount /proc, /sys (read-only) and a
//                            fresh /dev, then exec the command (the default)
//
// Why this process does the mounts itself (unshare, then exec) instead of
// cloning a child: the steps between the new namespace and exec are many
// (mounts, mknod, pivot_root) and must run in the new namespace; clone's child
// runs C only (spawn.c), while this process is single-threaded Swift and may
// make them itself, narrating each one, like unshare(1) does.
import ArgumentParser
import SandboxCore

struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-mount",
        abstract: "A mount namespace: propagation, pivot_root, and a container's /proc, /sys and /dev.",
        discussion: """
            A new mount namespace starts as a copy of the caller's mount table. What
            happens to mounts made afterwards depends on propagation: shared mounts
            pass them on to their peers, private ones keep them, slaves only receive.

            Examples (as root; scripts/make-rootfs builds .sandboxlabs/rootfs):
              sb-mount propagation
              sb-mount run .sandboxlabs/rootfs -- /bin/cat /proc/self/mountinfo
              sb-mount run --try-escape .sandboxlabs/rootfs -- /bin/ls /
              sb-mount run --keep-shared .sandboxlabs/rootfs    (the systemd pitfall)

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line), then the command's own output. Exit status: the command's;
            125 if sb-mount itself failed, 126 if the command could not run, 127 if it
            was not found in the new root, 64 on a usage error.
            """,
        subcommands: [RunCommand.self, PropagationCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

/// The flags every subcommand shares.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print nothing of our own; only the command's output.")
    var quiet = false

    @Flag(help: "Print one JSON record (steps and what the kernel reports) as the first line.")
    var json = false

    func narrator() -> Narrator { Narrator(tool: "sb-mount", mode: .from(quiet: quiet, json: json)) }
}

MountCommand.main()
