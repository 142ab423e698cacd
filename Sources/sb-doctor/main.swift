// sb-doctor: can this host run the labs? Lab by lab, what is missing and how to fix it.
//
// Every fact comes from where the kernel publishes it (/proc/sys, /proc/self/ns,
// /sys/fs/cgroup, capget), so a student can check each one by hand.
import ArgumentParser
import SandboxCore

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-doctor",
        abstract: "Tell, lab by lab, whether this host can run it and, if not, why and how to fix it.",
        discussion: """
            Examples:
              sudo sb-doctor            every lab, problems only
              sudo sb-doctor 08         one lab, every finding
              sb-doctor --json          one JSON record

            Exit status: 0 when the labs asked about can run (warnings allowed), 1 when one cannot.
            """
    )

    @Argument(help: "Only this lab (00-12).")
    var lab: String?

    @Flag(name: .shortAndLong, help: "Show every finding, not only problems.")
    var verbose = false

    @Flag(help: "Print one JSON record instead of text.")
    var json = false

    func run() throws {
        let facts = HostFacts()
        var labs = Requirements.labs
        if let lab {
            let padded = lab.count == 1 ? "0" + lab : String(lab.prefix(2))
            labs = labs.filter { $0.number == padded }
            if labs.isEmpty { throw ValidationError("no lab \(lab); labs are 00 to 12") }
        }
        let assessed = labs.map { ($0, $0.needs(facts)) }
        if json {
            Terminal.write(record(facts, assessed).rendered() + "\n", fd: 1)
        } else {
            Terminal.write(text(facts, assessed, verbose: verbose || lab != nil), fd: 1)
        }
        if assessed.contains(where: { $0.1.contains { $0.level == .missing } }) { throw ExitCode(1) }
    }

    func text(_ facts: HostFacts, _ assessed: [(LabNeeds, [Finding])], verbose: Bool) -> String {
        let color = Terminal.supportsColor(fd: 1)
        var out = "sb-doctor: can this host run the labs?\n\n"
        out += "  kernel   \(facts.kernel.sysname) \(facts.kernel.release) \(facts.kernel.machine)\n"
        out += "  user     \(facts.isRoot ? "root" : "not root (most labs need sudo)")\n"
        out += "  cgroups  \(facts.cgroupMode)\n"
        out += "  /        \(facts.rootPropagation.rawValue) mount propagation\n"
        if let container = Requirements.container(facts) {
            out +=
                "  " + Terminal.paint("note", .yellow, color) + "     \(container.what)\n           \(container.fix)\n"
        }
        out += "\n"
        for (lab, findings) in assessed {
            let worst = findings.map(\.level).max() ?? .ok
            let mark: String =
                switch worst {
                case .ok: Terminal.paint("✓", .green, color)
                case .warning: Terminal.paint("!", .yellow, color)
                case .missing: Terminal.paint("✗", .red, color)
                }
            out += "\(mark) \(lab.number) \(lab.title)\n"
            for finding in findings where verbose || finding.level != .ok {
                let sign = finding.level == .ok ? "ok" : finding.level == .warning ? "warning" : "missing"
                out += "     \(sign): \(finding.what)\n"
                if !finding.fix.isEmpty { out += "       fix: \(finding.fix)\n" }
            }
        }
        let blocked = assessed.filter { $0.1.contains { $0.level == .missing } }.count
        out +=
            "\n"
            + (blocked == 0
                ? "ready: every lab asked about can run here\n"
                : "not ready: \(blocked) lab(s) cannot run here yet (see fix:)\n")
        return out
    }

    func record(_ facts: HostFacts, _ assessed: [(LabNeeds, [Finding])]) -> JSON {
        .object([
            ("tool", .string("sb-doctor")),
            ("kernel", .string(facts.kernel.release)),
            ("root", .bool(facts.isRoot)),
            ("cgroupMode", .string(facts.cgroupMode.name)),
            ("rootPropagation", .string(facts.rootPropagation.rawValue)),
            ("container", facts.container.map { .string($0) } ?? .null),
            (
                "labs",
                .array(
                    assessed.map { lab, findings in
                        let worst = findings.map(\.level).max() ?? .ok
                        return .object([
                            ("lab", .string(lab.number)), ("title", .string(lab.title)),
                            ("ready", .bool(worst != .missing)),
                            (
                                "findings",
                                .array(
                                    findings.map { finding in
                                        .object([
                                            ("level", .string("\(finding.level)")), ("what", .string(finding.what)),
                                            ("fix", .string(finding.fix)),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }
}

DoctorCommand.main()
