/// What to do with one tar entry, decided from its name alone.
///
/// The decision (clean the name, recognise whiteouts) is kept apart from the
/// writing so lab 11's students write it themselves: `sb-image` supplies a
/// planner, `LayerApplier` carries the plan out.
public enum EntryPlan: Sendable, Equatable {
    /// Create or replace this path with what the entry describes.
    case write(RelativePath)
    /// `.wh.NAME`: delete this path as lower layers left it.
    case whiteout(RelativePath)
    /// `.wh..wh..opq`: hide everything lower layers put in this directory.
    case opaque(RelativePath)
    /// Nothing to do, and why (e.g. aufs's own `.wh..wh.plnk` bookkeeping).
    case ignore(String)
}

/// Turns an entry's name into a plan; throws `LayerError` to refuse the layer.
public typealias EntryPlanner = (String) throws -> EntryPlan

/// How a layer's whiteouts end up on disk.
public enum ApplyMode: String, Sendable {
    /// One flat tree: whiteouts delete, opaque markers empty the directory.
    case flat
    /// One overlayfs lower layer: whiteouts become 0/0 character devices and
    /// opaque markers the xattr trusted.overlay.opaque=y (overlayfs.rst).
    case overlay
}

/// Limits that stop a hostile layer before it fills a disk or an inode table.
public struct ApplyLimits: Sendable {
    public var maxEntries: Int
    public var maxBytes: Int64

    /// 500,000 entries a layer (a full Debian is ~30,000 files) and 64 GiB in all.
    public init(maxEntries: Int = 500_000, maxBytes: Int64 = 64 << 30) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }
}

/// What applying one layer did.
public struct LayerReport: Sendable {
    public var index: Int
    public var entries = 0
    public var files = 0
    public var directories = 0
    public var symlinks = 0
    public var hardlinks = 0
    public var others = 0
    public var whiteouts = 0
    public var opaques = 0
    public var bytes: Int64 = 0
    /// Things not done, each with its reason (a device node without root, ...).
    public var skipped: [String] = []
    public var digests: LayerDigests?

    public init(index: Int) { self.index = index }
}
