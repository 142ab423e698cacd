import CArchive
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// One tar entry's header, copied out of libarchive.
public struct LayerEntry: Sendable {
    /// What kind of thing the entry makes.
    public enum Kind: String, Sendable {
        case file, directory, symlink, hardlink, fifo, characterDevice, blockDevice, socket, unknown
    }

    public var name: String
    public var kind: Kind
    /// Permission bits including setuid, setgid and sticky (07777).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    /// Symlink text or hardlink target name, as the tar has it.
    public var linkTarget: String?
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    public var modified: timespec
    public var accessed: timespec?
    public var xattrs: [(name: String, value: [UInt8])]

    init(_ entry: OpaquePointer) {
        // The names as the tar's bytes have them. Not the *_utf8 variants, and
        // no setlocale: converting pax's UTF-8 names through a UTF-8 locale
        // normalises them (NFD "cafe\u{301}" becomes NFC "caf\u{e9}"), which
        // merges two distinct files; in the C locale libarchive keeps the bytes.
        name = Self.string(archive_entry_pathname(entry)) ?? Self.string(archive_entry_pathname_utf8(entry)) ?? ""
        let hardlink = Self.string(archive_entry_hardlink(entry)) ?? Self.string(archive_entry_hardlink_utf8(entry))
        let symlink = Self.string(archive_entry_symlink(entry)) ?? Self.string(archive_entry_symlink_utf8(entry))
        switch archive_entry_filetype(entry) {
        case _ where hardlink != nil: kind = .hardlink
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFIFO: kind = .fifo
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFSOCK: kind = .socket
        default: kind = .unknown
        }
        linkTarget = hardlink ?? symlink
        mode = UInt32(archive_entry_perm(entry)) & 0o7777
        uid = UInt32(truncatingIfNeeded: archive_entry_uid(entry))
        gid = UInt32(truncatingIfNeeded: archive_entry_gid(entry))
        size = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : 0
        deviceMajor = UInt32(truncatingIfNeeded: archive_entry_rdevmajor(entry))
        deviceMinor = UInt32(truncatingIfNeeded: archive_entry_rdevminor(entry))
        modified = timespec(tv_sec: archive_entry_mtime(entry), tv_nsec: Int(archive_entry_mtime_nsec(entry)))
        accessed =
            archive_entry_atime_is_set(entry) != 0
            ? timespec(tv_sec: archive_entry_atime(entry), tv_nsec: Int(archive_entry_atime_nsec(entry))) : nil
        xattrs = []
        if archive_entry_xattr_reset(entry) > 0 {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
                guard let name else { continue }
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                xattrs.append((String(cString: name), bytes))
            }
        }
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
