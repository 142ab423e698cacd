// sb-grade: grade an implementation of a lab, the reference or a student's.
//
// Each check runs the executable as a child process and looks at what the
// kernel reports (/proc/PID/root, /proc/PID/ns/uts, hostnames) and at what
// the command printed. Points, dependencies and a hint for every failure.
import ArgumentParser
import SandboxCore
import SandboxGrader

#if canImport(Glibc)
    import Glibc
#endif

struct GradeTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-grade",
        abstract: "Grade a lab: run its checks against the reference or your implementation.",
        discussion: """
            Examples (as root):
              sb-grade 01                                    grade the reference sb-chroot
              sb-grade 03 --impl .build/debug/lab03-starter  grade your work on lab 03
              sb-grade 03 --format junit --output lab03.xml  for a course platform
              sb-grade list                                  labs, contracts and checks

            Exit status: 0 when every check passed, 1 when some did not, 64 on a usage error.
            """,
        subcommands: [Grade.self, List.self, StartersCommand.self],
        defaultSubcommand: Grade.self
    )
}

struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade", abstract: "Grade one lab (the default command).")

    @Argument(help: "The lab: 01, 03, ... (see `sb-grade list`).")
    var lab: String

    @Option(help: "The executable to grade. Default: the lab's reference executable next to sb-grade.")
    var impl: String?

    @Option(help: "The root filesystem (default: $SANDBOXLABS_ROOTFS or .sandboxlabs/rootfs above here).")
    var rootfs: String?

    @Option(help: "Output format: text, json or junit.")
    var format: String = "text"

    @Option(help: "Write the report to this file instead of stdout.")
    var output: String?

    @Option(help: "Seconds one run of the implementation may take.")
    var timeout: Double = 20

    @Option(help: "Run only these checks (comma-separated ids).")
    var only: String?

    func run() throws {
        guard let lab = Labs.find(self.lab) else {
            throw usageError("no lab \(self.lab); labs: \(Labs.all.map(\.number).joined(separator: ", "))")
        }
        guard let format = ReportFormat(rawValue: format) else {
            throw usageError("--format must be text, json or junit")
        }
        let implementation = try resolveImplementation(lab)
        let found = rootfs ?? Locate.rootfs()
        if lab.needsRootfs && !(found.map { Sys.exists($0 + "/etc/sandboxlabs-rootfs") } ?? false) {
            throw usageError(
                "lab \(lab.number) needs the busybox root filesystem: run scripts/make-rootfs, or pass --rootfs DIR")
        }
        let rootfs = found ?? "/nonexistent"
        if geteuid() != 0 {
            Terminal.write("sb-grade: warning: not root; checks that need chroot or namespaces will fail\n", fd: 2)
        }
        let context = GradeContext(implementation: implementation, rootfs: rootfs, timeout: timeout)
        let report = Grader.grade(
            lab, context: context, only: only.map { Set($0.split(separator: ",").map(String.init)) })
        let text = format.render(report, color: output == nil && Terminal.supportsColor(fd: 1))
        if let output {
            try ProcFile.write(output, text, create: true)
        } else {
            Terminal.write(text, fd: 1)
        }
        if !report.allPassed { throw ExitCode(1) }
    }

    func resolveImplementation(_ lab: Lab) throws -> String {
        let path = impl ?? (Locate.executableDirectory().map { $0 + "/" + lab.reference } ?? lab.reference)
        guard access(path, X_OK) == 0 else {
            throw usageError(
                "\(path) is not an executable file" + (impl == nil ? "; build it with swift build" : ""))
        }
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Prints `sb-grade: error: ...` (no usage dump: the message says what to fix)
/// and gives the exit status for a usage error, 64 (EX_USAGE).
func usageError(_ message: String) -> ExitCode {
    Terminal.reportError(tool: "sb-grade", UsageMessage(text: message))
    return ExitCode(64)
}

struct UsageMessage: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the labs, their command-line contracts and checks.")

    func run() {
        for lab in Labs.all {
            var text = "lab \(lab.number)  \(lab.title)\n  reference: \(lab.reference)\n  contract:  \(lab.contract)\n"
            let width = lab.checks.map(\.id.count).max() ?? 0
            for check in lab.checks {
                let needs = check.dependsOn.isEmpty ? "" : "  (needs \(check.dependsOn.joined(separator: ", ")))"
                let id = check.id + String(repeating: " ", count: width - check.id.count)
                let points = check.points < 10 ? " \(check.points)" : "\(check.points)"
                text += "    \(id)  \(points) pts  \(check.title)\(needs)\n"
            }
            Terminal.write(text + "\n", fd: 1)
        }
    }
}

struct StartersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starters",
        abstract: "Maintainers: regenerate Labs/*/starter from the reference sources (run from the repo root).")

    @Flag(help: "Only check that the committed starters are current; exit 1 if not.")
    var check = false

    func run() throws {
        let files = try Starters.generate(root: ".")
        let stale = Starters.stale(files, root: ".")
        if check {
            if stale.isEmpty {
                Terminal.write("starters: \(files.count) files current\n", fd: 1)
                return
            }
            Terminal.write(
                "starters: out of date (run scripts/make-starters): \(stale.joined(separator: " "))\n", fd: 2)
            throw ExitCode(1)
        }
        try Starters.write(files, root: ".")
        Terminal.write("starters: wrote \(stale.count) of \(files.count) files\n", fd: 1)
    }
}

GradeTool.main()
