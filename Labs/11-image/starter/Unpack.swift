// Starter for lab11, generated from Sources/sb-image/Unpack.swift by scripts/make-starters. Fill in the TODOs.
import ArgumentParser
import SandboxCore
import SandboxImage

#if canImport(Glibc)
    import Glibc
#endif

/// `sb-image unpack IMAGE DEST`: every layer applied, in order, into one directory.
struct Unpack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply every layer, bottom first, into one directory (lab 11's contract).",
        discussion: """
            DEST must not exist or be empty. Whiteouts delete what lower layers made;
            an opaque marker empties its directory of lower content. If anything is
            refused — a hostile entry, a wrong digest — DEST is removed again (or
            emptied, if it existed), so a refused image leaves nothing behind.
            Without root, file owners and device nodes are not kept (each skip is listed).
            """
    )

    @OptionGroup var image: ImageOptions
    @Argument(help: "The directory to unpack into.")
    var destination: String
    @OptionGroup var limits: LimitOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        do {
            let (layout, resolved) = try image.open(narrator, catchInterrupts: true)
            defer { layout.close() }  // an archive's temporary copy is read until here
            let created = try prepareDestination(narrator)
            do {
                let reports = try applyLayers(resolved, narrator: narrator)
                summarize(reports, narrator: narrator)
            } catch {
                clean(created: created, after: error, narrator: narrator)
                throw error
            }
        } catch {
            narrator.emitRecord()
            throw fail(error)
        }
        narrator.emitRecord()
    }

    /// Makes DEST, or checks it is an empty directory. Returns true if we made it.
    private func prepareDestination(_ narrator: Narrator) throws -> Bool {
        if !Sys.exists(destination) {
            try narrator.step("mkdir(\(JSON.quote(destination)), 0755)") { try Sys.mkdir(destination, mode: 0o755) }
            return true
        }
        var info = stat()
        guard lstat(destination, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ValidationError(
                "\(destination) exists and is not a directory; unpack needs an empty or new directory")
        }
        let root = try RootDirectory(path: destination)
        guard try RootDirectory.names(in: root.fd).isEmpty else {
            throw ValidationError("\(destination) is not empty; unpack needs an empty or new directory")
        }
        return false
    }

    private func applyLayers(_ resolved: ResolvedImage, narrator: Narrator) throws -> [LayerReport] {
        let root = try RootDirectory(path: destination)
        let applier = LayerApplier(root: root, mode: .flat, planner: plan, limits: limits.limits)
        let bar = ProgressBar(enabled: narrator.mode != .quiet && narrator.mode != .json)
        var reports: [LayerReport] = []
        for layer in resolved.layers {
            let label = "layer \(layer.index + 1)/\(resolved.layers.count)"
            let call = "apply \(label) \(layer.digest?.short ?? layer.diffID?.short ?? "")"
            let report = try narrator.step(call, detail: nil) {
                defer { bar.finish() }
                return try applier.apply(try LayerReader(layer)) { bar.update(label, done: $0, total: $1) }
            }
            narrator.observe("  ", describe(report))
            reports.append(report)
        }
        return reports
    }

    private func summarize(_ reports: [LayerReport], narrator: Narrator) {
        let skipped = reports.flatMap(\.skipped)
        for line in skipped.prefix(10) { narrator.observe("skipped:", line) }
        if skipped.count > 10 { narrator.observe("skipped:", "… and \(skipped.count - 10) more") }
        narrator.observe(
            "result: ", "\(destination): \(counted(reports.count, "layer")), digests and diff_ids verified")
        narrator.fact("destination", .string(destination))
        narrator.fact("layers", .array(reports.map(layerJSON)))
        narrator.fact("skipped", .array(skipped.map { .string($0) }))
    }

    private func clean(created: Bool, after error: Error, narrator: Narrator) {
        guard let root = try? RootDirectory(path: destination) else { return }
        for name in (try? RootDirectory.names(in: root.fd)) ?? [] { try? root.remove(name, in: root.fd) }
        if created { rmdir(destination) }
        var why = "refused"
        if case LayerError.interrupted = error { why = "stopped" }
        narrator.explain("\(why): \(destination) \(created ? "removed" : "emptied") again")
    }
}

/// "1234 entries: 900 files, 12 dirs, …, 3 whiteouts, 1 opaque, 45.6 MiB".
func describe(_ report: LayerReport) -> String {
    var parts = [
        "\(counted(report.entries, "entry", "entries")): \(counted(report.files, "file")), \(counted(report.directories, "dir")), "
            + "\(counted(report.symlinks, "symlink")), \(counted(report.hardlinks, "hardlink"))"
    ]
    if report.others > 0 { parts.append(counted(report.others, "fifo/device", "fifos/devices")) }
    if report.whiteouts > 0 { parts.append(counted(report.whiteouts, "whiteout")) }
    if report.opaques > 0 { parts.append("\(report.opaques) opaque") }
    if let digests = report.digests {
        parts.append("\(humanBytes(digests.compressedSize)) → \(humanBytes(digests.uncompressedSize))")
    }
    return parts.joined(separator: ", ")
}

func layerJSON(_ report: LayerReport) -> JSON {
    var pairs: [(String, JSON)] = [
        ("index", .int(report.index)), ("entries", .int(report.entries)), ("files", .int(report.files)),
        ("directories", .int(report.directories)), ("symlinks", .int(report.symlinks)),
        ("hardlinks", .int(report.hardlinks)), ("others", .int(report.others)), ("whiteouts", .int(report.whiteouts)),
        ("opaques", .int(report.opaques)), ("bytes", .int(Int(report.bytes))),
    ]
    if let digests = report.digests {
        pairs.append(("digest", .string(digests.compressed.description)))
        pairs.append(("diff_id", .string(digests.uncompressed.description)))
        pairs.append(("compressed_size", .int(Int(digests.compressedSize))))
        pairs.append(("uncompressed_size", .int(Int(digests.uncompressedSize))))
    }
    return .object(pairs)
}

/// "1 layer", "2 layers": a count with its noun.
func counted(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
}
