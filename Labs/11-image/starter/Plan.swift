// Starter for lab11, generated from Sources/sb-image/Plan.swift by scripts/make-starters. Fill in the TODOs.
import SandboxImage

/// Decides what a tar entry is from its name alone: a path to write, a
/// whiteout, an opaque marker, or nothing.
///
/// Names in a layer come from whoever built the image. `../../etc/cron.d/x`
/// or `/etc/passwd` must not become a write outside the root, and `.wh.NAME`
/// files are instructions (image-spec layer.md "Whiteouts"), never files.
func plan(_ name: String) throws -> EntryPlan {
    var components: [String] = []
    // TODO(lab11): clean the name lexically: split at "/", drop "" and ".", and for ".." drop the
    //   last component — or throw LayerError.pathEscapesRoot(name) if there is none (the entry
    //   climbs out)
    let path = try RelativePath(components: components, entry: name)
    // TODO(lab11): whiteouts: ".wh..wh..opq" makes path.parent opaque; other ".wh..wh." names are
    //   aufs bookkeeping (ignore); ".wh.NAME" deletes NAME beside it (build that path with
    //   RelativePath so "..", "." and "" are refused)
    return .write(path)
}
