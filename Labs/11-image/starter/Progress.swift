// Starter for lab11, generated from Sources/sb-image/Progress.swift by scripts/make-starters. Fill in the TODOs.
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
final class ProgressBar {
    private let enabled: Bool
    private var lastDrawn: Int64 = -1

    init(enabled: Bool) { self.enabled = enabled && isatty(2) == 1 }

    /// Redraws `label [#####.....] 45%` when the percentage moved.
    func update(_ label: String, done: Int64, total: Int64) {
        guard enabled, total > 0 else { return }
        let percent = min(100, done * 100 / total)
        if percent == lastDrawn { return }
        lastDrawn = percent
        let width = 30
        let filled = Int(percent) * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        Terminal.write("\r\(label) [\(bar)] \(percent)%", fd: 2)
    }

    /// Clears the line.
    func finish() {
        guard enabled, lastDrawn >= 0 else { return }
        Terminal.write("\r\u{1B}[K", fd: 2)
        lastDrawn = -1
    }
}

/// 1536 → "1.5 KiB".
func humanBytes(_ count: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if unit == 0 { return "\(count) B" }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[unit])"
}
