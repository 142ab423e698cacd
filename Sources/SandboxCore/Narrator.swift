#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How a demo reports what it does.
public enum NarrationMode: Sendable, Equatable {
    /// Human-readable lines on stdout; colours when `color` is set.
    case text(color: Bool)
    /// Nothing of our own on stdout (errors still go to stderr).
    case quiet
    /// One JSON record on stdout, written by `emitRecord()`.
    case json

    /// The mode for the `--quiet` and `--json` flags, with colour only on a terminal.
    public static func from(quiet: Bool, json: Bool) -> NarrationMode {
        if json { return .json }
        if quiet { return .quiet }
        return .text(color: Terminal.supportsColor(fd: 1))
    }
}

/// Prints what a demo does, step by step, so a student sees the kernel at work:
///
///     → unshare(CLONE_NEWUTS)                         ok
///     → sethostname("lab-box")                        ok
///       inside:  hostname = lab-box    uts:[4026532871]
///
/// Output goes straight to fd 1 with write(2), never through stdio buffers,
/// so nothing is printed twice or lost across fork and exec.
public final class Narrator {
    public let mode: NarrationMode
    /// Where the text goes; tests capture it instead of printing.
    private let sink: (String) -> Void
    private var steps: [JSON] = []
    private var facts: [(String, JSON)] = []
    private let tool: String

    /// Width of the call column, so "ok" lines up.
    public static let callColumn = 48

    public init(tool: String, mode: NarrationMode, sink: ((String) -> Void)? = nil) {
        self.tool = tool
        self.mode = mode
        self.sink = sink ?? { Terminal.write($0, fd: 1) }
    }

    /// Runs one system call (or a few that belong together) and reports it.
    ///
    /// On failure prints the errno name and rethrows, so the caller decides what happens next.
    @discardableResult
    public func step<T>(_ call: String, detail: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            record(call: call, result: "ok", detail: detail)
            return result
        } catch let error as SyscallError {
            record(call: call, result: error.errnoName, detail: nil)
            throw error
        } catch {
            record(call: call, result: "failed", detail: nil)
            throw error
        }
    }

    /// Reports a step that was taken elsewhere (for example, by a child in C).
    public func record(call: String, result: String, detail: String? = nil) {
        var entry: [(String, JSON)] = [("call", .string(call)), ("result", .string(result))]
        if let detail { entry.append(("detail", .string(detail))) }
        steps.append(.object(entry))
        guard case .text(let color) = mode else { return }
        let padded =
            call.count < Narrator.callColumn
            ? call + String(repeating: " ", count: Narrator.callColumn - call.count) : call + "  "
        let verdict = result == "ok" ? Terminal.paint(result, .green, color) : Terminal.paint(result, .red, color)
        let suffix = detail.map { "   " + Terminal.paint($0, .dim, color) } ?? ""
        sink(Terminal.paint("→ ", .cyan, color) + padded + verdict + suffix + "\n")
    }

    /// How an execve is shown: `execve("/bin/sh", ["sh", "-c", "..."])`. Its result
    /// is "…": on success the process becomes the command and can no longer say "ok".
    public static func execveCall(_ path: String, _ arguments: [String]) -> String {
        "execve(" + JSON.quote(path) + ", [" + arguments.map { JSON.quote($0) }.joined(separator: ", ") + "])"
    }

    /// An observation: what changed, shown indented under the steps.
    public func observe(_ label: String, _ text: String) {
        guard case .text(let color) = mode else { return }
        sink("  " + Terminal.paint(label, .bold, color) + " " + text + "\n")
    }

    /// A sentence of explanation (text mode only).
    public func explain(_ text: String) {
        guard case .text(let color) = mode else { return }
        sink(Terminal.paint("  " + text, .dim, color) + "\n")
    }

    /// A machine-readable fact for the JSON record (ignored in text mode).
    public func fact(_ key: String, _ value: JSON) {
        facts.append((key, value))
    }

    /// The JSON record so far: tool, steps, then facts.
    public func record() -> JSON {
        .object([("tool", .string(tool)), ("steps", .array(steps))] + facts)
    }

    /// In JSON mode, prints the record as one line. Call it once, before exec or exit.
    public func emitRecord() {
        guard mode == .json else { return }
        sink(record().rendered() + "\n")
    }
}

/// Terminal output without stdio: write(2) and ANSI colours.
public enum Terminal {
    public enum Style: String, Sendable {
        case red = "31"
        case green = "32"
        case cyan = "36"
        case yellow = "33"
        case bold = "1"
        case dim = "2"
    }

    /// Colours only on a terminal, and never when NO_COLOR is set or TERM is dumb.
    public static func supportsColor(fd: Int32) -> Bool {
        guard isatty(fd) == 1 else { return false }
        if getenv("NO_COLOR") != nil { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }

    public static func paint(_ text: String, _ style: Style, _ enabled: Bool) -> String {
        enabled ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// Writes all of `text` to `fd`, retrying short writes.
    public static func write(_ text: String, fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            bytes = bytes.dropFirst(count)
        }
    }

    /// Prints an error to stderr as `tool: message`, with the hint on the next line.
    public static func reportError(tool: String, _ error: Error) {
        let color = supportsColor(fd: 2)
        var text = paint("\(tool): error: ", .red, color) + "\(error)\n"
        if let syscall = error as? SyscallError, let hint = syscall.hint {
            text += paint("\(tool): hint: ", .yellow, color) + hint + "\n"
        }
        write(text, fd: 2)
    }
}
