import SandboxCore

/// The ways a report can be printed: for a student, a script, or a course platform.
public enum ReportFormat: String, CaseIterable, Sendable {
    case text, json, junit

    public func render(_ report: Report, color: Bool = false) -> String {
        switch self {
        case .text: ReportFormat.text(report, color: color)
        case .json: ReportFormat.json(report).rendered() + "\n"
        case .junit: ReportFormat.junit(report)
        }
    }

    static func text(_ report: Report, color: Bool) -> String {
        var out = "sb-grade \(report.lab.number): \(report.lab.title)\n"
        out += "implementation: \(report.implementation)\n\n"
        let width = report.results.map(\.id.count).max() ?? 0
        for result in report.results {
            let (label, style): (String, Terminal.Style) =
                switch result.status {
                case .passed: ("PASS", .green)
                case .failed: ("FAIL", .red)
                case .skipped: ("SKIP", .yellow)
                }
            let id = result.id + String(repeating: " ", count: width - result.id.count)
            let score = "\(result.earned)/\(result.points)"
            out += "  \(Terminal.paint(label, style, color))  \(id)  \(score.padding(5))  \(result.title)\n"
            if result.status != .passed {
                out += "        \(result.status == .skipped ? "skipped" : "seen"): \(result.detail)\n"
            }
            if !result.hint.isEmpty { out += "        " + Terminal.paint("hint:", .bold, color) + " \(result.hint)\n" }
        }
        let verdict =
            report.allPassed
            ? "all checks passed" : "\(report.results.filter { $0.status != .passed }.count) not passed"
        out += "\nscore: \(report.earned)/\(report.total)  (\(verdict))\n"
        return out
    }

    static func json(_ report: Report) -> JSON {
        .object([
            ("lab", .string(report.lab.number)),
            ("title", .string(report.lab.title)),
            ("implementation", .string(report.implementation)),
            ("score", .int(report.earned)),
            ("total", .int(report.total)),
            ("passed", .bool(report.allPassed)),
            (
                "checks",
                .array(
                    report.results.map { result in
                        .object([
                            ("id", .string(result.id)), ("title", .string(result.title)),
                            ("status", .string(result.status.rawValue)), ("points", .int(result.points)),
                            ("earned", .int(result.earned)), ("detail", .string(result.detail)),
                            ("hint", .string(result.hint)),
                        ])
                    })
            ),
        ])
    }

    /// JUnit XML, the format most course platforms and CI systems import.
    static func junit(_ report: Report) -> String {
        let failures = report.results.filter { $0.status == .failed }.count
        let skipped = report.results.filter { $0.status == .skipped }.count
        let seconds = report.results.reduce(0) { $0 + $1.seconds }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites>\n"
        out +=
            "  <testsuite name=\"lab\(report.lab.number)\" tests=\"\(report.results.count)\" failures=\"\(failures)\""
            + " skipped=\"\(skipped)\" time=\"\(format(seconds))\">\n"
        out += "    <properties><property name=\"score\" value=\"\(report.earned)/\(report.total)\"/></properties>\n"
        for result in report.results {
            out +=
                "    <testcase classname=\"lab\(report.lab.number)\" name=\"\(xml(result.id))\" time=\"\(format(result.seconds))\">"
            switch result.status {
            case .passed: break
            case .failed:
                out +=
                    "\n      <failure message=\"\(xml(result.detail))\">\(xml("hint: " + result.hint))</failure>\n    "
            case .skipped:
                out += "\n      <skipped message=\"\(xml(result.detail))\"/>\n    "
            }
            out += "</testcase>\n"
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    static func xml(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t": out += "&#\(scalar.value);"
            case let c where c.value < 0x20: out += "?"  // not allowed in XML 1.0
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func format(_ seconds: Double) -> String {
        let millis = Int((seconds * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
