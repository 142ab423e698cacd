#if canImport(Glibc)
    import Glibc
#endif

/// mount(2) flags, with the names the man page uses, for narration.
///
/// Swift's Glibc imports the MS_* constants as `Int`; the call wants `UInt`.
public struct MountFlags: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    public static let readOnly = MountFlags(rawValue: UInt(MS_RDONLY))
    public static let noSuid = MountFlags(rawValue: UInt(MS_NOSUID))
    public static let noDev = MountFlags(rawValue: UInt(MS_NODEV))
    public static let noExec = MountFlags(rawValue: UInt(MS_NOEXEC))
    public static let remount = MountFlags(rawValue: UInt(MS_REMOUNT))
    public static let bind = MountFlags(rawValue: UInt(MS_BIND))
    public static let move = MountFlags(rawValue: UInt(MS_MOVE))
    public static let recursive = MountFlags(rawValue: UInt(MS_REC))
    public static let `private` = MountFlags(rawValue: UInt(MS_PRIVATE))
    public static let slave = MountFlags(rawValue: UInt(MS_SLAVE))
    public static let shared = MountFlags(rawValue: UInt(MS_SHARED))
    public static let unbindable = MountFlags(rawValue: UInt(MS_UNBINDABLE))

    static let names: [(MountFlags, String)] = [
        (.readOnly, "MS_RDONLY"), (.noSuid, "MS_NOSUID"), (.noDev, "MS_NODEV"), (.noExec, "MS_NOEXEC"),
        (.remount, "MS_REMOUNT"), (.bind, "MS_BIND"), (.move, "MS_MOVE"), (.recursive, "MS_REC"),
        (.private, "MS_PRIVATE"), (.slave, "MS_SLAVE"), (.shared, "MS_SHARED"), (.unbindable, "MS_UNBINDABLE"),
    ]

    /// `MS_REC|MS_PRIVATE`, or `0`.
    public var description: String {
        let parts = MountFlags.names.filter { contains($0.0) }.map(\.1)
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }
}
