import SandboxImage

/// Decides what a tar entry is from its name alone: a path to write, a
/// whiteout, an opaque marker, or nothing.
///
/// Names in a layer come from whoever built the image. `../../etc/cron.d/x`
/// or `/etc/passwd` must not become a write outside the root, and `.wh.NAME`
/// files are instructions (image-spec layer.md "Whiteouts"), never files.
func plan(_ name: String) throws -> EntryPlan {
    var components: [String] = []
    // BEGIN SOLUTION lab11: clean the name lexically: split at "/", drop "" and ".", and for ".." drop the last component — or throw LayerError.pathEscapesRoot(name) if there is none (the entry climbs out)
    for part in name.split(separator: "/", omittingEmptySubsequences: true) {
        if part == "." { continue }
        if part == ".." {
            guard !components.isEmpty else { throw LayerError.pathEscapesRoot(name) }
            components.removeLast()
        } else {
            components.append(String(part))
        }
    }
    // END SOLUTION
    let path = try RelativePath(components: components, entry: name)
    // BEGIN SOLUTION lab11: whiteouts: ".wh..wh..opq" makes path.parent opaque; other ".wh..wh." names are aufs bookkeeping (ignore); ".wh.NAME" deletes NAME beside it (build that path with RelativePath so "..", "." and "" are refused)
    let base = path.name
    if base == ".wh..wh..opq" { return .opaque(path.parent) }
    if base.hasPrefix(".wh..wh.") { return .ignore("aufs metadata, not a file") }
    if base.hasPrefix(".wh.") {
        let hidden = String(base.dropFirst(".wh.".count))
        return .whiteout(try RelativePath(components: path.parent.components + [hidden], entry: name))
    }
    // END SOLUTION
    return .write(path)
}
