// Starter for lab11, generated from Sources/sb-image/ListLayer.swift by scripts/make-starters. Fill in the TODOs.
import ArgumentParser
import SandboxCore
import SandboxImage

/// `sb-image ls-layer IMAGE N`: what one layer does to the layers below it.
struct ListLayer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls-layer",
        abstract: "List what layer N adds (A), changes (C), deletes (D) and makes opaque (O).",
        discussion: """
            A layer is a tar of differences. This reads the layers below N (names
            only, no data written) to tell an added path from a changed one, the way
            `docker diff` tells a container's changes. N counts from 1, the base layer.
            """
    )

    @OptionGroup var image: ImageOptions
    @Argument(help: "The layer, 1 for the bottom one.")
    var layer: Int
    @Flag(help: "Print one JSON record instead of text.")
    var json = false

    func run() throws {
        do {
            let (layout, resolved) = try image.open(Narrator(tool: "sb-image", mode: .quiet))
            defer { layout.close() }  // an archive's temporary copy is read until here
            guard resolved.layers.indices.contains(layer - 1) else {
                throw ValidationError("the image has layers 1 to \(resolved.layers.count); there is no layer \(layer)")
            }
            var below = Set<RelativePath>()
            var ignored: [(String, String, String)] = []
            for source in resolved.layers.prefix(layer - 1) { try replay(source, into: &below, changes: &ignored) }
            var changes: [(String, String, String)] = []
            try replay(resolved.layers[layer - 1], into: &below, changes: &changes)
            if json {
                let rows = changes.map {
                    JSON.object([("change", .string($0.0)), ("type", .string($0.1)), ("path", .string($0.2))])
                }
                Terminal.write(
                    JSON.object([("layer", .int(layer)), ("changes", .array(rows))]).rendered() + "\n", fd: 1)
            } else {
                Terminal.write(changes.map { "\($0.0)  \($0.1.padding(9))  \($0.2)\n" }.joined(), fd: 1)
            }
        } catch {
            throw fail(error)
        }
    }

    /// Replays one layer's names onto the set of paths that exist, noting each change.
    private func replay(
        _ source: LayerSource, into paths: inout Set<RelativePath>, changes: inout [(String, String, String)]
    ) throws {
        let reader = try LayerReader(source)
        var written = Set<RelativePath>()
        var opaque: [RelativePath] = []
        while let entry = try reader.next() {
            switch try plan(entry.name) {
            case .write(let path):
                if !written.contains(path) {
                    changes.append((paths.contains(path) ? "C" : "A", entry.kind.rawValue, path.description))
                }
                var step = path
                while paths.insert(step).inserted && !step.isRoot { step = step.parent }
                written.insert(path)
            case .whiteout(let path):
                changes.append(("D", "-", path.description))
                paths = paths.filter { !$0.isWithin(path) }
            case .opaque(let path):
                changes.append(("O", "directory", path.description))
                opaque.append(path)
            case .ignore:
                break
            }
        }
        for directory in opaque {
            paths = paths.filter { !$0.isWithin(directory) || $0 == directory || written.contains($0) }
        }
        _ = try reader.finish()
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
