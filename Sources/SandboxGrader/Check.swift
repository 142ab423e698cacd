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

/// A lab (or one graded part of a lab) as the grader knows it: its checks and
/// the command-line contract they test. A lab with several executables has
/// one part per executable: `03` grades sb-uts, `03-ipc` grades sb-ipc.
public struct Lab: Sendable {
    /// Two digits, as in `sb-grade 03`, and for an extra part a suffix: `03-ipc`.
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
    /// Whether the checks use the busybox root filesystem.
    public let needsRootfs: Bool

    /// The tag of this lab's solution regions: `lab03` (shared by all parts of lab 03).
    public var solutionTag: String { "lab" + number.prefix(2) }

    /// The part's suffix (`ipc` for `03-ipc`), or nil for a lab's main part.
    public var part: String? {
        guard let dash = number.firstIndex(of: "-") else { return nil }
        return String(number[number.index(after: dash)...])
    }

    /// Where the generated starter goes: `Labs/03-uts-ipc/starter`, or `.../starter-ipc` for a part.
    public var starterDirectory: String { "Labs/\(slug)/starter" + (part.map { "-" + $0 } ?? "") }

    /// The SwiftPM product a student builds: `lab03-starter`, `lab03-ipc-starter`.
    public var starterProduct: String { "lab\(number)-starter" }

    public init(
        number: String, slug: String, title: String, reference: String, contract: String, checks: [Check],
        starterSources: [String], needsRootfs: Bool = true
    ) {
        self.number = number
        self.slug = slug
        self.title = title
        self.reference = reference
        self.contract = contract
        self.checks = checks
        self.starterSources = starterSources
        self.needsRootfs = needsRootfs
    }
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
