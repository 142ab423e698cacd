import SandboxCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Collects what a narrator prints.
final class Captured: @unchecked Sendable {
    var text = ""
}

@Suite("Narrator")
struct NarratorTests {
    @Test("text mode prints the call, padded, and ok")
    func textStep() throws {
        let out = Captured()
        let narrator = Narrator(tool: "sb-test", mode: .text(color: false)) { out.text += $0 }
        try narrator.step("unshare(CLONE_NEWUTS)") {}
        narrator.observe("inside: ", "hostname = lab-box")
        let lines = out.text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("→ unshare(CLONE_NEWUTS) "))
        #expect(lines[0].hasSuffix(" ok"))
        #expect(lines[0].count == 2 + Narrator.callColumn + 2)
        #expect(lines[1] == "  inside:  hostname = lab-box")
    }

    @Test("a failing step prints the errno name and rethrows")
    func textFailure() {
        let out = Captured()
        let narrator = Narrator(tool: "sb-test", mode: .text(color: false)) { out.text += $0 }
        #expect(throws: SyscallError.self) {
            try narrator.step("sethostname(\"x\")") {
                throw SyscallError(call: "sethostname(\"x\")", errno: .init(rawValue: EPERM))
            }
        }
        #expect(out.text.hasSuffix(" EPERM\n"))
    }

    @Test("--json prints one line: tool, steps, then facts, and nothing else")
    func jsonRecord() throws {
        let out = Captured()
        let narrator = Narrator(tool: "sb-uts", mode: .json) { out.text += $0 }
        try narrator.step("unshare(CLONE_NEWUTS)") {}
        narrator.observe("inside:", "not printed in json mode")
        narrator.explain("not printed either")
        narrator.fact("inside", .object([("hostname", .string("lab-box")), ("uts", .string("uts:[4026532871]"))]))
        #expect(out.text.isEmpty)
        narrator.emitRecord()
        #expect(out.text.filter { $0 == "\n" }.count == 1)
        #expect(
            out.text
                == #"{"tool":"sb-uts","steps":[{"call":"unshare(CLONE_NEWUTS)","result":"ok"}],"inside":{"hostname":"lab-box","uts":"uts:[4026532871]"}}"#
                + "\n")
        let parsed = try JSON.parse(out.text)
        #expect(parsed["inside"]?["uts"]?.stringValue == "uts:[4026532871]")
    }

    @Test("--quiet prints nothing at all")
    func quiet() throws {
        let out = Captured()
        let narrator = Narrator(tool: "sb-test", mode: .quiet) { out.text += $0 }
        try narrator.step("chroot(\"/x\")") {}
        narrator.observe("a", "b")
        narrator.emitRecord()
        #expect(out.text.isEmpty)
    }

    @Test("colours appear only when asked for")
    func colours() throws {
        let out = Captured()
        let narrator = Narrator(tool: "sb-test", mode: .text(color: true)) { out.text += $0 }
        try narrator.step("chdir(\"/\")") {}
        #expect(out.text.contains("\u{1B}[32mok\u{1B}[0m"))
        #expect(NarrationMode.from(quiet: true, json: true) == .json)
        #expect(NarrationMode.from(quiet: true, json: false) == .quiet)
    }
}
