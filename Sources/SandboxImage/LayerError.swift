/// Why a layer entry was refused. Every case names the entry as the tar has it.
public enum LayerError: Error, Equatable, CustomStringConvertible, Sendable {
    case pathEscapesRoot(String)
    case invalidName(String, reason: String)
    case pathTooLong(String, length: Int, limit: Int)
    case replacesRoot(String, type: String)
    case hardlinkOutsideRoot(String, target: String)
    case hardlinkTargetMissing(String, target: String)
    case hardlinkAcrossLayers(String, target: String)
    case parentNotDirectory(String)
    case symlinkInPath(String)
    case symlinkLoop(String)
    case danglingParent(String, component: String)
    case unsupportedType(String, type: String)
    case tooManyEntries(limit: Int)
    case tooLarge(limit: Int64)
    case needsPrivilege(String, what: String)
    case snapshotNeedsRoot
    case interrupted(signal: Int32)
    case archive(String)
    case truncated(String)

    public var description: String {
        switch self {
        case .pathEscapesRoot(let name):
            return "entry \"\(name)\" climbs out of the root with \"..\"; refused"
        case .invalidName(let name, let reason):
            return "entry \"\(name)\": \(reason); refused"
        case .pathTooLong(let name, let length, let limit):
            return "entry \"\(name.prefix(60))…\" has a \(length)-byte path; the limit is \(limit) (PATH_MAX)"
        case .replacesRoot(let name, let type):
            return "entry \"\(name)\" would turn the root directory into a \(type); refused"
        case .hardlinkOutsideRoot(let name, let target):
            return "hardlink \"\(name)\" points at \"\(target)\", outside the root; refused"
        case .hardlinkTargetMissing(let name, let target):
            return "hardlink \"\(name)\" points at \"\(target)\", which no earlier entry created"
        case .hardlinkAcrossLayers(let name, let target):
            return
                "hardlink \"\(name)\" points at \"\(target)\" in a lower layer; a snapshot holds one layer, so it cannot be linked"
        case .parentNotDirectory(let name):
            return "entry \"\(name)\": a component of its parent is not a directory"
        case .symlinkInPath(let name):
            return
                "entry \"\(name)\": its parent path goes through a symlink, and this kernel has no openat2(RESOLVE_IN_ROOT) to follow it safely (needs Linux 5.6)"
        case .symlinkLoop(let name):
            return "entry \"\(name)\": its parent path is a loop of symlinks inside the root; refused"
        case .danglingParent(let name, let component):
            return
                "entry \"\(name)\": \"\(component)\" is a symlink to a directory the root does not have; refused (a write through it would land wherever the link points)"
        case .unsupportedType(let name, let type):
            return "entry \"\(name)\" has type \(type), which a layer may not contain"
        case .tooManyEntries(let limit):
            return "the layer has more than \(limit) entries (--max-entries); refused"
        case .tooLarge(let limit):
            return "the image unpacks to more than \(limit) bytes (--max-bytes); refused"
        case .needsPrivilege(let name, let what):
            return "entry \"\(name)\": \(what) needs root (CAP_MKNOD / CAP_SYS_ADMIN)"
        case .interrupted(let signal):
            return "stopped by signal \(signal); what was written is removed again"
        case .snapshotNeedsRoot:
            return
                "snapshots need root: owners, whiteouts (mknod 0/0) and trusted.overlay.opaque cannot be made otherwise; sb-image unpack works without root"
        case .archive(let message):
            return "the layer is not a readable tar: \(message)"
        case .truncated(let message):
            return "the layer ends early: \(message)"
        }
    }
}
