// sb-image: an OCI image, opened up. What `docker pull` stores and `docker run` unpacks.
//
// An image is a few JSON documents and some tars, each named by its sha256:
//
//     index.json ─▶ index (one manifest per platform) ─▶ manifest ─▶ config  (what to run, diff_ids)
//                                                                 └▶ layers  (tar+gzip, bottom first)
//
//   sb-image inspect IMAGE         the index, manifest, config, layers and history
//   sb-image verify IMAGE          every digest and size, and every layer's diff_id
//   sb-image unpack IMAGE DEST     all layers applied into one directory (lab 11's contract)
//   sb-image ls-layer IMAGE N      what layer N adds (A), changes (C), deletes (D), hides (O)
//   sb-image snapshot IMAGE        each layer unpacked once into a content-addressed store
//   sb-image mount IMAGE TARGET    an overlay of those snapshots plus a writable layer
//   sb-image umount TARGET         undo `mount`
//
// IMAGE is an OCI image layout directory, an OCI archive (tar) or a
// `docker save` tar; --ref picks one image when it holds several.
import ArgumentParser
import CSandbox
import SandboxCore
import SandboxImage

#if canImport(Glibc)
    import Glibc
#endif

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-image",
        abstract: "OCI images: read the index, manifest, config and layers; verify; unpack safely; snapshot; mount.",
        discussion: """
            IMAGE is one of:
              an OCI image layout   a directory with oci-layout, index.json, blobs/sha256/
              an OCI archive        that directory as a tar (skopeo copy ... oci-archive:FILE)
              a docker save tar     manifest.json, <config>.json, <layer>/layer.tar

            Every blob is checked against its digest and size while it is read, and
            every layer against the config's diff_ids. Layers are applied by reading
            the tar with libarchive and deciding each write ourselves: no entry may
            leave the destination, through "..", an absolute name or a symlink.

            Examples (as root for device nodes, file owners and mounts):
              sb-image inspect .sandboxlabs/images/fixture
              sb-image unpack .sandboxlabs/images/fixture /tmp/rootfs
              sb-image ls-layer .sandboxlabs/images/fixture 3
              sb-image mount .sandboxlabs/images/fixture --store /tmp/store --name c1 /tmp/c1

            Exit status: 0 on success, 1 if the image or a layer is refused (bad
            digest, hostile entry, ...), 64 on a usage error, 125 on any other failure,
            128+N when signal N (Ctrl-C: 130) stopped unpack or snapshot, after removing
            what they wrote.
            """,
        subcommands: [
            Inspect.self, Verify.self, Unpack.self, ListLayer.self, Snapshot.self, MountImage.self, UnmountImage.self,
        ]
    )
}

/// Which image: a path, and a reference and platform within it.
struct ImageOptions: ParsableArguments {
    @Argument(help: "An OCI image layout directory, an OCI archive or a docker save tar.")
    var image: String

    @Option(
        name: .shortAndLong, help: "The image to use: a tag (latest), name:tag or @sha256:… (default: the only one).")
    var ref: String?

    @Option(help: "The platform to pick from a multi-platform index, os/arch[/variant] (default: this machine's).")
    var platform: String?

    /// linux/amd64 on x86_64, linux/arm64 on aarch64: the binaries this machine can run.
    static var machinePlatform: String {
        let machine = Sys.uname().machine
        let architecture = ["x86_64": "amd64", "aarch64": "arm64", "i686": "386", "armv7l": "arm"][machine] ?? machine
        return "linux/" + architecture
    }

    /// Opens the image. Commands that write (unpack, snapshot, mount) pass
    /// `catchInterrupts`: Ctrl-C then stops them between two entries, after
    /// removing what they wrote, instead of killing them half-way.
    func open(_ narrator: Narrator, catchInterrupts: Bool = false) throws -> (ImageLayout, ResolvedImage) {
        if catchInterrupts { _ = cs_catch_interrupts() }
        let asked = platform ?? Self.machinePlatform
        guard let wanted = Platform(parsing: asked) else {
            throw ValidationError("--platform \(asked): expected os/arch or os/arch/variant, e.g. linux/amd64")
        }
        let layout = try narrator.step("open \(image)") { try ImageLayout.open(image) }
        let resolved = try narrator.step("resolve \(ref ?? "(no --ref: latest)") for \(wanted)") {
            try layout.resolve(ref, platform: wanted)
        }
        // An image without an index says its platform only in its config: an
        // explicit --platform it does not match is refused, not ignored.
        if platform != nil, resolved.index == nil, !resolved.config.platform.satisfies(wanted) {
            throw ImageError.platformMismatch(wanted: wanted.description, image: resolved.config.platform.description)
        }
        if layout.kind == .dockerArchive {
            narrator.observe("manifest:", "manifest.json  (docker-archive: no manifest blob)")
        } else {
            narrator.observe("manifest:", "\(resolved.manifestDescriptor.digest)  (\(layout.kind.rawValue))")
        }
        narrator.observe(
            "config:  ",
            "\(resolved.configDigest)  \(resolved.config.platform)  \(counted(resolved.layers.count, "layer"))")
        return (layout, resolved)
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "Print nothing of our own but errors.")
    var quiet = false

    @Flag(help: "Print one JSON record instead of text.")
    var json = false

    func narrator() -> Narrator { Narrator(tool: "sb-image", mode: .from(quiet: quiet, json: json)) }
}

/// Limits on what one image may unpack to.
struct LimitOptions: ParsableArguments {
    @Option(help: "Refuse a layer with more entries than this.")
    var maxEntries = ApplyLimits().maxEntries

    @Option(help: "Refuse an image whose files add up to more bytes than this.")
    var maxBytes = ApplyLimits().maxBytes

    var limits: ApplyLimits { ApplyLimits(maxEntries: maxEntries, maxBytes: maxBytes) }
}

/// Reports an error the way every SandboxLabs tool does and picks the exit code:
/// 1 for an image or layer we refuse, 125 for anything else.
func fail(_ error: Error) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    if let usage = error as? ValidationError {
        Terminal.write("sb-image: error: \(usage.message)\n", fd: 2)
        return ExitCode(64)
    }
    Terminal.reportError(tool: "sb-image", error)
    if case LayerError.interrupted(let signal) = error { return ExitCode(128 + signal) }
    if let error = error as? SyscallError, error.call == "execve" { return ExitCode(error.commandExitStatus) }
    if error is ImageError || error is LayerError { return ExitCode(1) }
    return ExitCode(125)
}

ImageCommand.main()
