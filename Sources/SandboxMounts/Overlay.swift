import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// The pieces of an overlay mount, and the mount(2) data string they make.
///
/// overlayfs stacks read-only `lower` directories (the first one is the top,
/// as in `lowerdir=top:below`) under one writable `upper`. Writes land in
/// upper; `work` is the kernel's scratch space for atomic copy-up and must be
/// an empty directory on the same filesystem as upper. This is how Docker
/// stacks image layers (lowers) under a container's writable layer (upper).
public struct OverlayLayers: Sendable, Equatable {
    public var lower: [String]
    public var upper: String
    public var work: String

    public init(lower: [String], upper: String, work: String) {
        self.lower = lower
        self.upper = upper
        self.work = work
    }

    /// `lowerdir=a:b,upperdir=u,workdir=w`, refusing paths the kernel would split wrongly.
    ///
    /// Why refuse: the kernel parses the data string itself, splitting options at
    /// ',' and lower layers at ':'. A path holding either would silently name
    /// other directories (or add options) instead of failing.
    public func mountData() throws(OverlayError) -> String {
        guard !lower.isEmpty else { throw .noLowerLayer }
        for path in lower + [upper, work] {
            if path.isEmpty { throw .unsafePath(path, reason: "is empty") }
            if let bad = path.first(where: { $0 == "," || $0 == ":" || $0 == "\n" }) {
                throw .unsafePath(path, reason: "contains \(bad == "\n" ? "a newline" : "'\(bad)'")")
            }
        }
        return "lowerdir=\(lower.joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
    }

    /// Mounts the overlay at `merged`. Corresponds to mount(2) with type "overlay".
    public func mount(at merged: String) throws {
        try Mounts.mount(source: "overlay", target: merged, type: "overlay", data: try mountData())
    }
}

/// Why an overlay could not be set up.
public enum OverlayError: Error, Equatable, CustomStringConvertible {
    case noLowerLayer
    case unsafePath(String, reason: String)
    case unsupportedUpper(String, filesystem: String)

    public var description: String {
        switch self {
        case .noLowerLayer: "an overlay needs at least one lower directory"
        case .unsafePath(let path, let reason):
            "overlay path \"\(path)\" \(reason): the kernel splits the mount data at ',' and ':'; use another path"
        case .unsupportedUpper(let path, let filesystem):
            "\(path) is on \(filesystem), which cannot hold an overlay upper layer"
                + " (no whiteouts or trusted.* xattrs there); use a directory on tmpfs or ext4, e.g. under /tmp"
        }
    }
}

/// What overlayfs leaves in an upper directory, read without following symlinks.
public enum OverlayInspect {
    /// The magic numbers of filesystems that cannot be an upper layer (statfs(2) f_type).
    static let unsupported: [Int: String] = [
        Int(CS_OVERLAYFS_SUPER_MAGIC): "overlayfs", 0x0102_1997: "9p", 0x6969: "NFS",
    ]

    /// Throws when `path` is on a filesystem overlayfs refuses as upper. Corresponds to statfs(2).
    public static func requireUpperCapable(_ path: String) throws {
        var type = 0
        try check("statfs", path: path) { cs_statfs_type(path, &type) }
        if let name = unsupported[type] { throw OverlayError.unsupportedUpper(path, filesystem: name) }
    }

    /// Whether `path` is a whiteout: a character device with number 0/0. Corresponds to lstat(2).
    ///
    /// A whiteout in upper hides the same name in every lower layer: the kernel's
    /// record that "this file was deleted in the container".
    public static func isWhiteout(_ path: String) -> Bool {
        var buf = stat()
        guard lstat(path, &buf) == 0 else { return false }
        return buf.st_mode & S_IFMT == S_IFCHR && buf.st_rdev == 0
    }

    /// The value of one extended attribute, or nil if it is not set. Corresponds to lgetxattr(2).
    public static func xattr(_ path: String, _ name: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = cs_lgetxattr(path, name, &buffer, buffer.count)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// The names of a file's extended attributes. Corresponds to llistxattr(2).
    public static func xattrNames(_ path: String) -> [String] {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = cs_llistxattr(path, &buffer, buffer.count)
        guard count > 0 else { return [] }
        return buffer[0..<count].split(separator: 0).map {
            String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Whether a directory in upper is opaque (`trusted.overlay.opaque=y`, or the
    /// `user.overlay.` form of an unprivileged mount): lower layers' entries below it are hidden.
    public static func isOpaque(_ path: String) -> Bool {
        xattr(path, "trusted.overlay.opaque") == "y" || xattr(path, "user.overlay.opaque") == "y"
    }
}
