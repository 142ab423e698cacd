/// Turns reference sources into a student's starting point.
///
/// A reference source marks what the student writes:
///
///     // BEGIN SOLUTION lab03: Give this process its own UTS namespace ...
///     try unshare([.uts])
///     // END SOLUTION
///
/// For lab 03, every region whose tag starts with `lab03` becomes
/// `// TODO(lab03): <hint>` at the same indentation. Regions of other labs
/// keep their code and lose their markers. Starters are generated, never
/// edited by hand, so they cannot drift from the reference.
public enum StarterGenerator {
    /// A malformed source: where and what.
    public struct MarkerError: Error, CustomStringConvertible, Equatable, Sendable {
        public var line: Int
        public var problem: String
        public var description: String { "line \(line): \(problem)" }
    }

    static let begin = "// BEGIN SOLUTION "
    static let end = "// END SOLUTION"

    /// The starter text for `lab` (e.g. "lab03") generated from `source`.
    public static func generate(_ source: String, lab: String, origin: String) throws(MarkerError) -> String {
        var output: [String] = [
            "// Starter for \(lab), generated from \(origin) by scripts/make-starters. Fill in the TODOs."
        ]
        var inRegion: (tag: String, line: Int)?
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, line) in lines.enumerated() {
            let number = offset + 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            let indent = String(line.prefix(line.count - trimmed.count))
            if trimmed.hasPrefix(begin) {
                if let open = inRegion {
                    throw MarkerError(
                        line: number, problem: "BEGIN SOLUTION inside the region opened on line \(open.line)")
                }
                let rest = trimmed.dropFirst(begin.count)
                let tag = String(rest.prefix { $0 != ":" && $0 != " " })
                guard tag.hasPrefix("lab"), tag.count >= 5 else {
                    throw MarkerError(line: number, problem: "the tag must look like lab03 or lab03-part")
                }
                let hint = rest.dropFirst(tag.count).drop { $0 == ":" || $0 == " " }
                if hint.isEmpty && tag.hasPrefix(lab) {
                    throw MarkerError(
                        line: number,
                        problem: "a region needs a hint after its tag: `// BEGIN SOLUTION \(tag): what to do`")
                }
                inRegion = (tag, number)
                if tag.hasPrefix(lab) {
                    output.append(
                        contentsOf: wrap(
                            String(hint), prefix: indent + "// TODO(\(lab)): ", continuation: indent + "//   "))
                }
                continue
            }
            if trimmed.hasPrefix(end) {
                guard inRegion != nil else { throw MarkerError(line: number, problem: "END SOLUTION without BEGIN") }
                inRegion = nil
                continue
            }
            if let region = inRegion, region.tag.hasPrefix(lab) { continue }
            output.append(String(line))
        }
        if let open = inRegion { throw MarkerError(line: open.line, problem: "region \(open.tag) is never closed") }
        return output.joined(separator: "\n")
    }

    /// Whether a source has any region for `lab`.
    public static func hasRegions(_ source: String, lab: String) -> Bool {
        source.split(separator: "\n").contains { $0.drop { $0 == " " }.hasPrefix(begin + lab) }
    }

    /// Splits a long hint into comment lines of at most ~100 characters.
    static func wrap(_ text: String, prefix: String, continuation: String) -> [String] {
        var lines: [String] = []
        var current = prefix
        for word in text.split(separator: " ") {
            let start = lines.isEmpty ? prefix : continuation
            if current.count + word.count + 1 > 100 && current != start {
                lines.append(current)
                current = continuation
            }
            current += (current == prefix || current == continuation ? "" : " ") + word
        }
        lines.append(current)
        return lines
    }
}
