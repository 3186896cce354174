import Testing

@testable import TallySoda

@Suite("JSON parser and writer")
struct JSONParserTests {
    @Test("number literals are kept exactly, integer-ness from the literal")
    func numbersKeepLiterals() throws {
        let json = try SodaJSONParser.parse(#"[10, 10.0, -0, 7.569125885243729, 1e5, 2E-3, 123456789012345678901234567890]"#)
        let numbers = try #require(json.arrayValue).compactMap(\.numberValue)
        #expect(numbers.map(\.literal) == ["10", "10.0", "-0", "7.569125885243729", "1e5", "2E-3", "123456789012345678901234567890"])
        #expect(numbers.map(\.isInteger) == [true, false, true, false, false, false, true])
        #expect(numbers[0].int64Value == 10)
        #expect(numbers[1].int64Value == nil)
        #expect(numbers[6].int64Value == nil)
        #expect(numbers[3].doubleValue == 7.569125885243729)
        #expect(SodaJSON.number(numbers[0]) != SodaJSON.number(numbers[1]))
    }

    @Test("strings: escapes, surrogate pairs, raw UTF-8")
    func strings() throws {
        let json = try SodaJSONParser.parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\ud83d\ude00", "é😀"]"#)
        let strings = try #require(json.arrayValue).compactMap(\.stringValue)
        #expect(strings[0] == "a\"b\\c/d\u{8}\u{C}\n\r\t")
        #expect(strings[1] == "é😀")
        #expect(strings[1] == strings[2])
    }

    @Test("objects keep member order; equality ignores order")
    func objectOrder() throws {
        let a = try SodaJSONParser.parse(#"{"b": 1, "a": [true, null]}"#)
        let b = try SodaJSONParser.parse(#"{"a": [true, null], "b": 1}"#)
        #expect(a.objectValue?.keys == ["b", "a"])
        #expect(a == b)
        #expect(a.canonicalBytes == b.canonicalBytes)
        #expect(String(decoding: a.canonicalBytes, as: UTF8.self) == #"{"a":[true,null],"b":1}"#)
        #expect(a.description == #"{"b":1,"a":[true,null]}"#)
    }

    @Test("writer escapes minimally and round-trips")
    func writerRoundTrip() throws {
        let original = SodaJSON.object(SodaJSONObject(["k\u{1}": .string("q\"\\\n/é\u{1F}"), "n": .number(SodaNumber(literal: "1.50")!)]))
        let text = original.description
        #expect(text == #"{"k\u0001":"q\"\\\n/é\u001f","n":1.50}"#)
        #expect(try SodaJSONParser.parse(text) == original)
    }

    @Test("a UTF-8 byte order mark is skipped")
    func byteOrderMark() throws {
        #expect(try SodaJSONParser.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == .array([.number(SodaNumber(1))]))
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        let text: String
        let path: String
        let message: String
        let line: Int
        let column: Int
        var testDescription: String { text }
    }

    static let badCases: [BadCase] = [
        BadCase(text: "", path: "$", message: "unexpected end of input; expected a value", line: 1, column: 1),
        BadCase(text: #"{"a": [1, 2"#, path: "$.a", message: "unexpected end of input; expected ',' or ']'", line: 1, column: 12),
        BadCase(text: "{\"a\": 1,\n \"b\": }", path: "$.b", message: "unexpected character '}'; expected a value", line: 2, column: 7),
        BadCase(text: #"{"a": 1,}"#, path: "$", message: "unexpected character '}'; expected a key string", line: 1, column: 9),
        BadCase(text: #"[1, 2,]"#, path: "$[2]", message: "unexpected character ']'; expected a value", line: 1, column: 7),
        BadCase(text: #"{"a": 1, "a": 2}"#, path: "$.a", message: "duplicate key \"a\"", line: 1, column: 10),
        BadCase(text: #"[01]"#, path: "$[0]", message: "invalid number: leading zeros are not allowed", line: 1, column: 2),
        BadCase(text: #"[1.]"#, path: "$[0]", message: "invalid number: expected a digit after '.'", line: 1, column: 2),
        BadCase(text: #"[NaN]"#, path: "$[0]", message: "unexpected character 'N'; expected a value", line: 1, column: 2),
        BadCase(text: #"{"x": tru}"#, path: "$.x", message: "invalid literal; expected true", line: 1, column: 7),
        BadCase(text: "[\"a\nb\"]", path: "$[0]", message: "control character (byte 0xA) in a string must be escaped", line: 1, column: 4),
        BadCase(text: #"["\x"]"#, path: "$[0]", message: "invalid escape sequence '\\x'", line: 1, column: 3),
        BadCase(text: #"["\ud800"]"#, path: "$[0]", message: "unpaired high surrogate in \\u escape", line: 1, column: 3),
        BadCase(text: #"{"a": 1} x"#, path: "$", message: "unexpected character 'x' after the end of the document", line: 1, column: 10),
        BadCase(text: "// c\n{}", path: "$", message: "unexpected character '/'; expected a value", line: 1, column: 1),
    ]

    @Test("syntax errors name path, line and column", arguments: badCases)
    func syntaxErrors(_ bad: BadCase) {
        do {
            _ = try SodaJSONParser.parse(bad.text)
            Issue.record("parsed: \(bad.text)")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.path.description == bad.path)
            #expect(error.message == bad.message)
            #expect(error.line == bad.line)
            #expect(error.column == bad.column)
        }
    }

    @Test("invalid UTF-8 inside a string is rejected")
    func invalidUTF8() {
        let bytes: [UInt8] = Array("[\"".utf8) + [0xC3, 0x28] + Array("\"]".utf8)
        #expect(throws: SodaError.self) { try SodaJSONParser.parse(bytes) }
    }

    @Test("nesting deeper than the limit is rejected, the limit itself is accepted")
    func depth() throws {
        let ok = String(repeating: "[", count: SodaJSONParser.maximumDepth) + String(repeating: "]", count: SodaJSONParser.maximumDepth)
        _ = try SodaJSONParser.parse(ok)
        let tooDeep = "[" + ok + "]"
        let error = try #require(throws: SodaError.self) { try SodaJSONParser.parse(tooDeep) }
        #expect(error.message.contains("nesting deeper than"))
    }

    @Test("more values than the limit are rejected where the first extra one starts, the limit itself is accepted")
    func valueCount() throws {
        // The array, a 3-member object (4 values), and 5 numbers: 10 values.
        let ten = Array(#"[{"a": 1, "b": "x", "c": null}, 1, 2, 3, 4, 5]"#.utf8)
        #expect(try SodaJSONParser.parse(ten, maximumValues: 10).arrayValue?.count == 6)
        let error = try #require(throws: SodaError.self) { try SodaJSONParser.parse(ten, maximumValues: 9) }
        #expect(error.message.hasPrefix("the document holds more than 9 values"), "\(error.message)")
        #expect(error.line == 1 && error.column == 45, "\(error)")   // the 5 at the end
        #expect(error.path.description == "$[5]", "\(error.path)")
        #expect(SodaJSONParser.maximumValues == 4_000_000)
    }

    @Test("paths: identifiers with dots, other keys quoted")
    func paths() {
        let path = SodaJSONPath.root.appending("checks").appending(3).appending("odd key").appending("outcome")
        #expect(path.description == #"$.checks[3]["odd key"].outcome"#)
    }

    @Test("position(of:) finds where a value starts")
    func positionOfPath() throws {
        let text = "{\n  \"a\": [\n    1,\n    {\"b\": \"x\"}\n  ]\n}"
        let position = try #require(SodaJSONParser.position(of: SodaJSONPath.root.appending("a").appending(1).appending("b"), in: Array(text.utf8)))
        #expect(position.line == 4)
        #expect(position.column == 11)
    }
}
