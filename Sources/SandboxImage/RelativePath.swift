/// A path inside a root directory: one or more names, none of them "", "." or "..".
///
/// The layer applier writes only through these, so a value of this type is a
/// promise that the path cannot climb out lexically. (Symlinks are the other
/// way out; `RootDirectory` closes that one.)
public struct RelativePath: Hashable, Sendable, CustomStringConvertible {
    /// The names from the root down; empty means the root itself.
    public let components: [String]

    /// The longest path the kernel accepts (PATH_MAX, including the NUL).
    public static let maximumLength = 4095
    /// The longest single name (NAME_MAX).
    public static let maximumNameLength = 255

    /// Checks each component; throws for anything that could leave the root
    /// or that the kernel would refuse.
    public init(components: [String], entry: String) throws(LayerError) {
        for name in components {
            if name.isEmpty || name == "." || name == ".." || name.contains("/") {
                throw .invalidName(entry, reason: "\"\(name)\" is not a file name")
            }
            if name.utf8.contains(0) {
                throw .invalidName(entry, reason: "a name contains a NUL byte")
            }
            if name.utf8.count > Self.maximumNameLength {
                throw .invalidName(entry, reason: "a name is longer than \(Self.maximumNameLength) bytes (NAME_MAX)")
            }
        }
        let length = components.reduce(0) { $0 + $1.utf8.count + 1 }
        if length > Self.maximumLength {
            throw .pathTooLong(entry, length: length, limit: Self.maximumLength)
        }
        self.components = components
    }

    private init(trusted components: [String]) { self.components = components }

    /// The root itself.
    public static let root = RelativePath(trusted: [])

    public var isRoot: Bool { components.isEmpty }
    /// The last name; "." for the root.
    public var name: String { components.last ?? "." }
    /// The directory that holds this path.
    public var parent: RelativePath { RelativePath(trusted: Array(components.dropLast())) }
    /// `a/b/c`, or `.` for the root.
    public var description: String { isRoot ? "." : components.joined(separator: "/") }

    /// This path with one more name under it. Internal, and only for names the
    /// kernel gave us (readdir): a name from a layer goes through `init(components:entry:)`.
    func appending(_ name: String) -> RelativePath { RelativePath(trusted: components + [name]) }

    /// True if `self` is `other` or lies under it.
    public func isWithin(_ other: RelativePath) -> Bool {
        components.count >= other.components.count
            && zip(components, other.components).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }

    // Equality and hashing by bytes, as the kernel compares names. Swift's
    // String == is Unicode canonical equivalence: NFC "caf\u{e9}" and NFD
    // "cafe\u{301}" are equal Strings but two different files.
    public static func == (lhs: RelativePath, rhs: RelativePath) -> Bool {
        lhs.components.count == rhs.components.count && lhs.isWithin(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        for name in components {
            for byte in name.utf8 { hasher.combine(byte) }
            hasher.combine(0 as UInt8)
        }
    }
}
