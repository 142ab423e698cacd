/// One thing the grader verifies about an implementation, worth some points.
///
/// A check looks at the kernel from outside (namespace inodes, /proc/PID/root)
/// or at what the command printed from inside, never at how the code looks,
/// so a student may write the lab in any language.
public struct Check: Sendable {
    /// Stable id, `LAB.topic`, e.g. `03.uts.new-namespace`.
    public let id: String
    /// What is verified, as one line.
    public let title: String
    public let points: Int
    /// Checks that must pass first; if one did not, this one is skipped.
    public let dependsOn: [String]
    /// What a failure usually means and what to do: shown with every failure.
    public let hint: String
    /// Runs the check. Throwing counts as a failure with the error as the reason.
    public let run: @Sendable (GradeContext) throws -> Verdict

    public init(
        id: String, title: String, points: Int, dependsOn: [String] = [], hint: String,
        run: @escaping @Sendable (GradeContext) throws -> Verdict
    ) {
        self.id = id
        self.title = title
        self.points = points
        self.dependsOn = dependsOn
        self.hint = hint
        self.run = run
    }
}

/// What a check concluded.
public enum Verdict: Sendable, Equatable {
    /// Passed; the text says what was seen.
    case pass(String)
    /// Failed; the text says what was seen instead (the check's hint is added).
    case fail(String)
}

/// A lab as the grader knows it: its checks and the command-line contract they test.
public struct Lab: Sendable {
    /// Two digits, as in `sb-grade 03`.
    public let number: String
    /// The folder under Labs/, e.g. `03-uts-ipc`.
    public let slug: String
    public let title: String
    /// The reference executable that passes every check.
    public let reference: String
    /// The arguments an implementation must accept, for `sb-grade --list` and the handout.
    public let contract: String
    public let checks: [Check]
    /// Reference sources the starter is generated from (relative to the repo root).
    public let starterSources: [String]
}

/// Everything a check needs to know about the run.
public struct GradeContext: Sendable {
    /// Absolute path of the executable under test.
    public var implementation: String
    /// The root filesystem made by scripts/make-rootfs.
    public var rootfs: String
    /// Seconds one run of the implementation may take before it is killed.
    public var timeout: Double

    public init(implementation: String, rootfs: String, timeout: Double = 20) {
        self.implementation = implementation
        self.rootfs = rootfs
        self.timeout = timeout
    }
}
