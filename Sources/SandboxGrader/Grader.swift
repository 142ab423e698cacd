#if canImport(Glibc)
    import Glibc
#endif

/// The result of one check.
public struct CheckResult: Sendable {
    public enum Status: String, Sendable { case passed, failed, skipped }
    public let id: String
    public let title: String
    public let points: Int
    public let status: Status
    /// What was seen (pass or fail), or why the check was skipped.
    public let detail: String
    /// The check's hint, for a failure; empty otherwise.
    public let hint: String
    public let seconds: Double
    public var earned: Int { status == .passed ? points : 0 }
}

/// A graded lab: one result per check, in the lab's order.
public struct Report: Sendable {
    public let lab: Lab
    public let implementation: String
    public let results: [CheckResult]
    public var earned: Int { results.reduce(0) { $0 + $1.earned } }
    public var total: Int { results.reduce(0) { $0 + $1.points } }
    public var allPassed: Bool { results.allSatisfy { $0.status == .passed } }
    public func result(_ id: String) -> CheckResult? { results.first { $0.id == id } }
}

/// Runs a lab's checks in order, skipping those whose dependencies did not pass.
public enum Grader {
    public static func grade(_ lab: Lab, context: GradeContext, only: Set<String>? = nil) -> Report {
        var results: [CheckResult] = []
        var passed: Set<String> = []
        let chosen = only.map { dependencyClosure(of: $0, in: lab) }
        for check in lab.checks where chosen?.contains(check.id) ?? true {
            let missing = check.dependsOn.filter { !passed.contains($0) }
            if !missing.isEmpty {
                results.append(
                    CheckResult(
                        id: check.id, title: check.title, points: check.points, status: .skipped,
                        detail: "needs \(missing.joined(separator: ", ")) to pass first", hint: "", seconds: 0))
                continue
            }
            let start = monotonicSeconds()
            let verdict: Verdict
            do {
                verdict = try check.run(context)
            } catch {
                verdict = .fail("could not run the check: \(error)")
            }
            let seconds = monotonicSeconds() - start
            switch verdict {
            case .pass(let detail):
                passed.insert(check.id)
                results.append(
                    CheckResult(
                        id: check.id, title: check.title, points: check.points, status: .passed, detail: detail,
                        hint: "",
                        seconds: seconds))
            case .fail(let detail):
                results.append(
                    CheckResult(
                        id: check.id, title: check.title, points: check.points, status: .failed, detail: detail,
                        hint: check.hint, seconds: seconds))
            }
        }
        return Report(lab: lab, implementation: context.implementation, results: results)
    }

    /// The chosen checks and everything they depend on, directly or not.
    static func dependencyClosure(of ids: Set<String>, in lab: Lab) -> Set<String> {
        var closure = ids
        var queue = Array(ids)
        while let id = queue.popLast() {
            for dependency in lab.checks.first(where: { $0.id == id })?.dependsOn ?? []
            where !closure.contains(dependency) {
                closure.insert(dependency)
                queue.append(dependency)
            }
        }
        return closure
    }

    static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
