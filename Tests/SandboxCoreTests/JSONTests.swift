import SandboxCore
import Testing

@Suite("JSON")
struct JSONTests {
    @Test("escapes quotes, backslashes and control characters")
    func escaping() {
        #expect(JSON.string("a\"b\\c\n\u{01}").rendered() == #""a\"b\\c\n\u0001""#)
    }

    @Test("round-trips a record")
    func roundTrip() throws {
        let value = JSON.object([
            ("s", .string("ünïcödé ✓")), ("n", .int(-42)), ("b", .bool(true)), ("z", .null),
            ("a", .array([.int(1), .object([])])),
        ])
        #expect(try JSON.parse(value.rendered()) == value)
    }

    @Test("reads escapes and surrogate pairs")
    func parseEscapes() throws {
        #expect(try JSON.parse(#""\u00e9\ud83d\ude00\t""#) == .string("é😀\t"))
    }

    @Test(
        "refuses malformed text with the offset",
        arguments: ["{", "[1,]", "{\"a\" 1}", "tru", "\"open", "1 2", "{\"a\":\"\u{01}\"}"])
    func malformed(text: String) {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(text) }
    }

    @Test("refuses absurd nesting instead of overflowing the stack")
    func deepNesting() {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(String(repeating: "[", count: 10000)) }
    }
}
