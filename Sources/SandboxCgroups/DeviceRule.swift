import CSandbox

/// One line of a device access list: which devices, which kinds of access,
/// and whether they are allowed or denied.
///
/// The text form is the one cgroup v1 reads from `devices.allow` and
/// `devices.deny` and Docker's `--device-cgroup-rule` takes: `c 1:3 rwm`
/// (character device 1:3, /dev/null), `b 8:* r` (read any SCSI disk),
/// `a *:* rwm` (everything). On cgroup v2 the same rules become a BPF
/// program (see `DeviceFilter`).
public struct DeviceRule: Equatable, Sendable, CustomStringConvertible {
    /// Which kind of device node a rule is about.
    public enum Kind: Character, Sendable {
        /// A character device (`c`), such as /dev/null or a terminal.
        case char = "c"
        /// A block device (`b`), such as a disk.
        case block = "b"
        /// Both kinds (`a`).
        case all = "a"
    }

    /// What a process wants to do with a device node.
    ///
    /// The raw values are the kernel's: `BPF_DEVCG_ACC_MKNOD` (1), `_READ` (2)
    /// and `_WRITE` (4), the same bits cgroup v1 uses internally.
    public struct Access: OptionSet, Sendable, Hashable, CustomStringConvertible {
        /// The BPF_DEVCG_ACC_* bits.
        public let rawValue: Int32
        /// An access set from BPF_DEVCG_ACC_* bits.
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// Open for reading (`r`).
        public static let read = Access(rawValue: CS_BPF_DEVCG_ACC_READ)
        /// Open for writing (`w`).
        public static let write = Access(rawValue: CS_BPF_DEVCG_ACC_WRITE)
        /// Create the node with mknod(2) (`m`).
        public static let mknod = Access(rawValue: CS_BPF_DEVCG_ACC_MKNOD)
        /// Everything: `rwm`.
        public static let all: Access = [.read, .write, .mknod]

        /// `rwm`, `r`, `wm`, ...: always in the order r, w, m.
        public var description: String {
            (contains(.read) ? "r" : "") + (contains(.write) ? "w" : "") + (contains(.mknod) ? "m" : "")
        }
    }

    /// Character, block, or both.
    public var kind: Kind
    /// The device's major number; nil means any (`*`).
    public var major: UInt32?
    /// The device's minor number; nil means any (`*`).
    public var minor: UInt32?
    /// The kinds of access the rule is about.
    public var access: Access
    /// Whether matching accesses are allowed (true) or denied (false).
    public var allow: Bool

    /// A rule from its parts.
    public init(kind: Kind, major: UInt32?, minor: UInt32?, access: Access = .all, allow: Bool) {
        self.kind = kind
        self.major = major
        self.minor = minor
        self.access = access
        self.allow = allow
    }

    /// Parses `TYPE MAJOR:MINOR ACCESS`, e.g. `c 1:3 rwm`, `b 8:* r`, `a *:* rwm`,
    /// or the lone `a` that cgroup v1 reads as "all devices, all access".
    public init(_ text: String, allow: Bool) throws(DeviceRuleError) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        if fields.count == 1, fields[0] == "a" {
            self.init(kind: .all, major: nil, minor: nil, access: .all, allow: allow)
            return
        }
        guard fields.count == 3 else {
            throw .malformed(text, reason: "expected TYPE MAJOR:MINOR ACCESS, e.g. \"c 1:3 rwm\"")
        }
        guard fields[0].count == 1, let kind = fields[0].first.flatMap(Kind.init(rawValue:)) else {
            throw .malformed(text, reason: "the type is c (character), b (block) or a (all)")
        }
        let numbers = fields[1].split(separator: ":", omittingEmptySubsequences: false)
        guard numbers.count == 2 else {
            throw .malformed(text, reason: "the device is MAJOR:MINOR, each a number or *")
        }
        let major = try Self.number(numbers[0], in: text)
        let minor = try Self.number(numbers[1], in: text)
        var access: Access = []
        for letter in fields[2] {
            switch letter {
            case "r": access.insert(.read)
            case "w": access.insert(.write)
            case "m": access.insert(.mknod)
            default: throw .malformed(text, reason: "the access is made of r (read), w (write) and m (mknod)")
            }
        }
        self.init(kind: kind, major: major, minor: minor, access: access, allow: allow)
    }

    /// `c 1:3 rwm`: the text `init(_:allow:)` parses (without allow or deny).
    public var description: String {
        "\(kind.rawValue) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }

    /// `allow c 1:3 rwm` or `deny c 1:3 rwm`: for narration and listings.
    public var summary: String { (allow ? "allow " : "deny ") + description }

    /// A major or minor number, or nil for `*`.
    private static func number(_ field: Substring, in text: String) throws(DeviceRuleError) -> UInt32? {
        if field == "*" { return nil }
        guard let value = UInt32(field) else {
            throw .malformed(text, reason: "\"\(field)\" is not a device number (0 to 4294967295) or *")
        }
        return value
    }
}

/// A device rule that could not be read.
public enum DeviceRuleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text, and what is wrong with it.
    case malformed(String, reason: String)

    /// `device rule "x 1:3 r": the type is c (character), b (block) or a (all)`.
    public var description: String {
        switch self {
        case .malformed(let text, let reason): "device rule \"\(text)\": \(reason)"
        }
    }
}
