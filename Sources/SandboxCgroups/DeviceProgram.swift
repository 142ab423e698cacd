import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The BPF program for a device access list, and its readable listing.
///
/// Shape, for each rule in order (first match wins, as in cgroup v1):
///
///     if the type differs        goto next rule     (not for `a`)
///     if the access does not match goto next rule   (not for `rwm`)
///     if the major differs       goto next rule     (not for `*`)
///     if the minor differs       goto next rule     (not for `*`)
///     return allow ? 1 : 0
///   next rule: ...
///   return defaultAllow ? 1 : 0
///
/// An allow rule matches when every access asked for is in the rule (opening
/// /dev/null read-write needs `rw`); a deny rule matches when any of them is.
/// That is how the v1 kernel read its lists (match_exception and
/// match_exception_partial in security/device_cgroup.c), and it keeps a
/// `deny c 1:3 w` from being bypassed by opening read-write.
/// A rule with no condition at all (`a *:* rwm`) ends the program: the
/// verifier rejects instructions that can never run.
public struct DeviceProgram: Sendable {
    /// The rules the program was made from.
    public let rules: [DeviceRule]
    /// The verdict when no rule matches.
    public let defaultAllow: Bool
    /// One line per instruction, plus a `; rule` line before each rule's block.
    public let listing: [String]
    let instructions: [cs_bpf_insn]

    /// Generates the program; pure, needs no privilege.
    public init(rules: [DeviceRule], defaultAllow: Bool) {
        self.rules = rules
        self.defaultAllow = defaultAllow
        var code: [Instruction] = [
            .load(.r2, offset: CS_BPF_DEVCG_CTX_ACCESS_TYPE, note: "access_type"),
            .and(.r2, 0xFFFF, note: "r2 = device type (low 16 bits)"),
            .load(.r3, offset: CS_BPF_DEVCG_CTX_ACCESS_TYPE, note: "access_type"),
            .shiftRight(.r3, 16, note: "r3 = access asked for (high 16 bits)"),
            .load(.r4, offset: CS_BPF_DEVCG_CTX_MAJOR, note: "r4 = major"),
            .load(.r5, offset: CS_BPF_DEVCG_CTX_MINOR, note: "r5 = minor"),
        ]
        var lines = code.enumerated().map { $0.element.line(at: $0.offset) }
        var unconditional = false
        for rule in rules where !unconditional {
            let block = Self.block(for: rule)
            lines.append("; \(rule.summary)")
            lines += block.enumerated().map { $0.element.line(at: code.count + $0.offset) }
            code += block
            unconditional = block.count == 2  // no test before "r0 = verdict; exit"
        }
        if !unconditional {
            let tail: [Instruction] = [.move(.r0, defaultAllow ? 1 : 0, note: "no rule matched"), .exit]
            lines.append("; default: " + (defaultAllow ? "allow" : "deny"))
            lines += tail.enumerated().map { $0.element.line(at: code.count + $0.offset) }
            code += tail
        }
        self.listing = lines
        self.instructions = code.map(\.encoded)
    }

    /// The instructions for one rule: tests that skip to the next rule, then the verdict.
    static func block(for rule: DeviceRule) -> [Instruction] {
        var tests: [[Instruction]] = []
        switch rule.kind {
        case .char: tests.append([.jumpIfNotEqual(.r2, CS_BPF_DEVCG_DEV_CHAR, note: "not a char device")])
        case .block: tests.append([.jumpIfNotEqual(.r2, CS_BPF_DEVCG_DEV_BLOCK, note: "not a block device")])
        case .all: break
        }
        if rule.access != .all {
            let mask = rule.allow ? DeviceRule.Access.all.rawValue & ~rule.access.rawValue : rule.access.rawValue
            let test: Instruction =
                rule.allow
                ? .jumpIfNotEqual(.r1, 0, note: "asks for more than \(rule.access)")
                : .jumpIfEqual(.r1, 0, note: "asks for none of \(rule.access)")
            tests.append([.copy(.r1, from: .r3), .and(.r1, mask, note: nil), test])
        }
        if let major = rule.major {
            tests.append([.jumpIfNotEqual(.r4, Int32(bitPattern: major), note: "major is not \(major)")])
        }
        if let minor = rule.minor {
            tests.append([.jumpIfNotEqual(.r5, Int32(bitPattern: minor), note: "minor is not \(minor)")])
        }
        let verdict: [Instruction] = [.move(.r0, rule.allow ? 1 : 0, note: rule.allow ? "allow" : "deny"), .exit]
        var block = tests.flatMap { $0 } + verdict
        // Every jump goes to the first instruction after this block: offsets
        // count from the instruction after the jump.
        for index in block.indices where block[index].isConditionalJump {
            block[index].offset = Int16(block.count - index - 1)
        }
        return block
    }

    /// Loads the program into the kernel and returns its fd. On failure, loads
    /// again with a log buffer so the error carries the verifier's explanation.
    /// Corresponds to bpf(2) with BPF_PROG_LOAD.
    func load() throws -> Int32 {
        let fd = loadWithLog(level: 0).fd
        if fd >= 0 { return fd }
        let error = SyscallError(call: loadCall, errno: .init(rawValue: errno))
        let retry = loadWithLog(level: 1)
        if retry.fd >= 0 { return retry.fd }  // a transient failure (e.g. EAGAIN): the second try worked
        throw DeviceFilterError.programRejected(error, verifierLog: retry.log)
    }

    /// Asks the kernel's verifier to check the program without attaching it,
    /// and returns its log at level 2: every instruction it walked through, in
    /// the kernel's own notation, and the registers it knew at each branch.
    /// Needs the same privilege as `DeviceFilter.attach`. Corresponds to bpf(2)
    /// with BPF_PROG_LOAD (the program is unloaded again at once).
    public func verifierLog() throws -> String {
        let result = loadWithLog(level: 2)
        guard result.fd >= 0 else {
            let error = SyscallError(call: loadCall, errno: .init(rawValue: errno))
            throw DeviceFilterError.programRejected(error, verifierLog: result.log)
        }
        close(result.fd)
        return result.log
    }

    private var loadCall: String {
        "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE, \(instructions.count) insns)"
    }

    /// One BPF_PROG_LOAD; errno is left as the kernel set it when fd is -1.
    private func loadWithLog(level: UInt32) -> (fd: Int32, log: String) {
        // The license string matters only for helpers the kernel reserves for
        // GPL programs; this program calls no helper at all. The kernel still
        // requires a readable string (a NULL pointer fails with EFAULT).
        let license = "Apache-2.0"
        let count = UInt32(instructions.count)
        guard level > 0 else { return (cs_bpf_load_device_program(instructions, count, license, nil, 0, 0), "") }
        var log = [CChar](repeating: 0, count: 1 << 18)
        let fd = cs_bpf_load_device_program(instructions, count, license, &log, UInt32(log.count), level)
        let saved = errno
        let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        errno = saved
        return (fd, text)
    }
}

/// The registers the program uses (r1 holds the context pointer on entry).
enum Register: UInt8 {
    case r0 = 0
    case r1, r2, r3, r4, r5
}

/// One eBPF instruction with its text, built from the opcode parts in <linux/bpf.h>.
struct Instruction: Sendable {
    var code: UInt8
    var destination: Register
    var source: Register = .r0
    var offset: Int16 = 0
    var immediate: Int32 = 0
    var note: String?

    var isConditionalJump: Bool {
        code == CS_BPF_JMP | CS_BPF_JNE | CS_BPF_K || code == CS_BPF_JMP | CS_BPF_JEQ | CS_BPF_K
    }

    var encoded: cs_bpf_insn {
        cs_bpf_insn(code: code, regs: source.rawValue << 4 | destination.rawValue, off: offset, imm: immediate)
    }

    /// `r2 = *(u32 *)(r1 +0)`: the kernel verifier log's notation.
    static func load(_ destination: Register, offset: Int16, note: String) -> Instruction {
        Instruction(
            code: CS_BPF_LDX | CS_BPF_MEM | CS_BPF_W, destination: destination, source: .r1, offset: offset, note: note)
    }
    static func and(_ destination: Register, _ value: Int32, note: String?) -> Instruction {
        Instruction(code: CS_BPF_ALU64 | CS_BPF_AND | CS_BPF_K, destination: destination, immediate: value, note: note)
    }
    static func shiftRight(_ destination: Register, _ bits: Int32, note: String) -> Instruction {
        Instruction(code: CS_BPF_ALU64 | CS_BPF_RSH | CS_BPF_K, destination: destination, immediate: bits, note: note)
    }
    static func copy(_ destination: Register, from source: Register) -> Instruction {
        Instruction(code: CS_BPF_ALU64 | CS_BPF_MOV | CS_BPF_X, destination: destination, source: source)
    }
    static func move(_ destination: Register, _ value: Int32, note: String) -> Instruction {
        Instruction(code: CS_BPF_ALU64 | CS_BPF_MOV | CS_BPF_K, destination: destination, immediate: value, note: note)
    }
    static func jumpIfNotEqual(_ register: Register, _ value: Int32, note: String) -> Instruction {
        Instruction(code: CS_BPF_JMP | CS_BPF_JNE | CS_BPF_K, destination: register, immediate: value, note: note)
    }
    static func jumpIfEqual(_ register: Register, _ value: Int32, note: String) -> Instruction {
        Instruction(code: CS_BPF_JMP | CS_BPF_JEQ | CS_BPF_K, destination: register, immediate: value, note: note)
    }
    static let exit = Instruction(code: CS_BPF_JMP | CS_BPF_EXIT, destination: .r0)

    /// The instruction in verifier-log notation.
    var text: String {
        let dst = "r\(destination.rawValue)"
        switch code {
        case CS_BPF_LDX | CS_BPF_MEM | CS_BPF_W: return "\(dst) = *(u32 *)(r\(source.rawValue) +\(offset))"
        case CS_BPF_ALU64 | CS_BPF_AND | CS_BPF_K: return "\(dst) &= \(immediate)"
        case CS_BPF_ALU64 | CS_BPF_RSH | CS_BPF_K: return "\(dst) >>= \(immediate)"
        case CS_BPF_ALU64 | CS_BPF_MOV | CS_BPF_X: return "\(dst) = r\(source.rawValue)"
        case CS_BPF_ALU64 | CS_BPF_MOV | CS_BPF_K: return "\(dst) = \(immediate)"
        case CS_BPF_JMP | CS_BPF_JNE | CS_BPF_K: return "if \(dst) != \(Self.hex(immediate)) goto pc+\(offset)"
        case CS_BPF_JMP | CS_BPF_JEQ | CS_BPF_K: return "if \(dst) == \(Self.hex(immediate)) goto pc+\(offset)"
        case CS_BPF_JMP | CS_BPF_EXIT: return "exit"
        default: return "code \(code)"
        }
    }

    /// `3: if r2 != 0x2 goto pc+5    ; not a char device`
    func line(at index: Int) -> String {
        let body = "\(index): \(text)"
        guard let note else { return body }
        return body + String(repeating: " ", count: max(1, 28 - body.count)) + "; " + note
    }

    private static func hex(_ value: Int32) -> String { "0x" + String(UInt32(bitPattern: value), radix: 16) }
}
