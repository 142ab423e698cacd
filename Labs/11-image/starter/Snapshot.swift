// Starter for lab11, generated from Sources/sb-image/Snapshot.swift by scripts/make-starters. Fill in the TODOs.
import ArgumentParser
import SandboxCore
import SandboxImage
import SandboxMounts
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Where snapshots and containers' writable layers live.
struct StoreOptions: ParsableArguments {
    @Option(help: "The snapshot store: one directory per unpacked layer, named by its diff_id.")
    var store = "/var/lib/sandboxlabs/images"
}

/// Makes (or finds) every layer's snapshot.
func prepareSnapshots(_ image: ResolvedImage, store: SnapshotStore, limits: ApplyLimits, narrator: Narrator) throws
    -> [String]
{
    let bar = ProgressBar(enabled: narrator.mode != .quiet && narrator.mode != .json)
    var paths: [String] = []
    var made = 0
    for layer in image.layers {
        guard let diffID = layer.diffID else {
            throw ImageError.unreadableLayer(index: layer.index, reason: "no diff_id to name its snapshot by")
        }
        let label = "layer \(layer.index + 1)/\(image.layers.count)"
        let report = try narrator.step("snapshot \(label) \(diffID.short)") {
            defer { bar.finish() }
            return try store.prepare(layer, planner: plan, limits: limits) { bar.update(label, done: $0, total: $1) }
        }
        if let report {
            made += 1
            narrator.observe("  ", "unpacked: " + describe(report))
        } else {
            narrator.observe("  ", "already in the store: nothing read")
        }
        paths.append(store.snapshot(diffID))
    }
    narrator.fact("snapshots", .array(paths.map { .string($0) }))
    narrator.fact("unpacked", .int(made))
    return paths
}

/// `sb-image snapshot`: each layer unpacked once, in overlay form.
struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unpack each layer once into a content-addressed store (overlay form).",
        discussion: """
            Each layer becomes STORE/snapshots/sha256/<diff_id>/, a directory overlayfs
            can use as a lowerdir: whiteouts are 0/0 character devices and opaque
            directories carry trusted.overlay.opaque=y. A layer already there is not
            read again. Needs root (mknod, trusted.* xattrs).
            """)

    @OptionGroup var image: ImageOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var limits: LimitOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        do {
            let (layout, resolved) = try image.open(narrator, catchInterrupts: true)
            defer { layout.close() }  // an archive's temporary copy is read until here
            _ = try prepareSnapshots(
                resolved, store: try SnapshotStore(path: store.store), limits: limits.limits, narrator: narrator)
        } catch {
            narrator.emitRecord()
            throw fail(error)
        }
        narrator.emitRecord()
    }
}
