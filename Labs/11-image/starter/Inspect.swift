// Starter for lab11, generated from Sources/sb-image/Inspect.swift by scripts/make-starters. Fill in the TODOs.
import ArgumentParser
import SandboxCore
import SandboxImage

/// `sb-image inspect`: the documents of an image, top to bottom.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the index, manifest, config, layers and history of an image.")

    @OptionGroup var image: ImageOptions
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let narrator = Narrator(tool: "sb-image", mode: .quiet)
        do {
            let (layout, resolved) = try image.open(narrator)
            if json {
                Terminal.write(document(layout, resolved).rendered() + "\n", fd: 1)
            } else {
                Terminal.write(text(layout, resolved), fd: 1)
            }
        } catch {
            throw fail(error)
        }
    }

    private func text(_ layout: ImageLayout, _ image: ResolvedImage) -> String {
        var lines = ["image:     \(layout.path)  (\(layout.kind.rawValue))"]
        lines.append("names:     \(image.names.joined(separator: ", "))")
        if let index = image.index, let descriptor = image.indexDescriptor {
            lines.append("index:     \(descriptor.digest)  \(index.manifests.count) manifests")
            for entry in index.manifests {
                let mark = entry.digest == image.manifestDescriptor.digest ? "*" : " "
                lines.append("  \(mark) \(entry.platform?.description ?? "(no platform)")  \(entry.digest)")
            }
        }
        let manifest = image.manifestDescriptor
        lines.append("manifest:  \(manifest.digest)  \(manifest.size) bytes  \(manifest.mediaType)")
        lines.append("config:    \(image.configDigest)  \(image.config.platform)")
        if let run = image.config.config {
            if let value = run.entrypoint {
                lines.append("  Entrypoint  \(JSON.array(value.map { .string($0) }).rendered())")
            }
            if let value = run.cmd { lines.append("  Cmd         \(JSON.array(value.map { .string($0) }).rendered())") }
            for variable in run.env ?? [] { lines.append("  Env         \(variable)") }
            if let value = run.workingDir, !value.isEmpty { lines.append("  WorkingDir  \(value)") }
            if let value = run.user, !value.isEmpty { lines.append("  User        \(value)") }
            for (key, value) in (run.labels ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append("  Label       \(key)=\(value)")
            }
        }
        lines.append("layers:    (bottom first; digest of the blob, diff_id of the tar inside)")
        for (position, descriptor) in image.manifest.layers.enumerated() {
            let kind = descriptor.mediaType.split(separator: ".").last.map(String.init) ?? descriptor.mediaType
            lines.append(
                "  \(position + 1)  \(descriptor.digest)  \(humanBytes(descriptor.size))  \(kind)")
            lines.append("     diff_id \(image.config.rootfs.diffIDs[position])")
        }
        if let history = image.config.history, !history.isEmpty {
            lines.append("history:")
            for step in history {
                let empty = step.emptyLayer == true ? "  (no layer)" : ""
                lines.append("  \(step.created ?? "-")  \(step.createdBy ?? step.comment ?? "")\(empty)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func document(_ layout: ImageLayout, _ image: ResolvedImage) -> JSON {
        func descriptor(_ value: Descriptor) -> JSON {
            var pairs: [(String, JSON)] = [
                ("mediaType", .string(value.mediaType)), ("digest", .string(value.digest)),
                ("size", .int(Int(value.size))),
            ]
            if let platform = value.platform { pairs.append(("platform", .string(platform.description))) }
            return .object(pairs)
        }
        var pairs: [(String, JSON)] = [
            ("image", .string(layout.path)), ("kind", .string(layout.kind.rawValue)),
            ("names", .array(image.names.map { .string($0) })),
        ]
        if let index = image.index {
            pairs.append(("index", .array(index.manifests.map(descriptor))))
        }
        pairs.append(("manifest", descriptor(image.manifestDescriptor)))
        pairs.append(("config", descriptor(image.manifest.config)))
        pairs.append(("platform", .string(image.config.platform.description)))
        let run = image.config.config
        pairs.append(("entrypoint", .array((run?.entrypoint ?? []).map { .string($0) })))
        pairs.append(("cmd", .array((run?.cmd ?? []).map { .string($0) })))
        pairs.append(("env", .array((run?.env ?? []).map { .string($0) })))
        pairs.append(("workingDir", .string(run?.workingDir ?? "")))
        pairs.append(("user", .string(run?.user ?? "")))
        let layers = image.manifest.layers.enumerated().map { position, layer -> JSON in
            guard case .object(var fields) = descriptor(layer) else { return .null }
            fields.append(("diff_id", .string(image.config.rootfs.diffIDs[position])))
            return .object(fields)
        }
        pairs.append(("layers", .array(layers)))
        let history = (image.config.history ?? []).map { step -> JSON in
            .object([
                ("created", .string(step.created ?? "")), ("created_by", .string(step.createdBy ?? "")),
                ("empty_layer", .bool(step.emptyLayer ?? false)),
            ])
        }
        pairs.append(("history", .array(history)))
        return .object(pairs)
    }
}

/// `sb-image verify`: every digest checked, nothing written.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every blob's digest and size and every layer's diff_id; write nothing.")

    @OptionGroup var image: ImageOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        do {
            let (layout, resolved) = try image.open(narrator)
            defer { layout.close() }  // an archive's temporary copy is read until here
            var layers: [JSON] = []
            for layer in resolved.layers {
                let label = "layer \(layer.index + 1)/\(resolved.layers.count)"
                let digests = try narrator.step("read \(label) \(layer.digest?.short ?? layer.diffID?.short ?? "")") {
                    let reader = try LayerReader(layer)
                    var entries = 0
                    while try reader.next() != nil { entries += 1 }
                    return (try reader.finish(), entries)
                }
                narrator.observe(
                    "  ",
                    "\(digests.1) entries, \(humanBytes(digests.0.compressedSize)) → \(humanBytes(digests.0.uncompressedSize)), digest and diff_id match"
                )
                layers.append(
                    .object([
                        ("digest", .string(digests.0.compressed.description)),
                        ("diff_id", .string(digests.0.uncompressed.description)), ("entries", .int(digests.1)),
                    ]))
            }
            narrator.observe("result: ", "every digest, size and diff_id matches")
            narrator.fact("verified", .bool(true))
            narrator.fact("layers", .array(layers))
        } catch {
            narrator.fact("verified", .bool(false))
            narrator.emitRecord()
            throw fail(error)
        }
        narrator.emitRecord()
    }
}
