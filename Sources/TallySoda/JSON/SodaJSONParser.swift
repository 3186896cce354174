/// A small, strict JSON parser (RFC 8259) written for Soda documents.
///
/// Why not `JSONSerialization`: it turns `10` and `10.0` into the same `NSNumber`, loses the order
/// of members and gives no position for errors. This parser
///
/// * keeps number literals exactly (``SodaNumber``),
/// * keeps member order and rejects duplicate keys (a duplicated `"token"` could otherwise hide a
///   credential from stripping),
/// * rejects invalid UTF-8, lone surrogates, control characters in strings, leading zeros, trailing
///   commas, comments, `NaN`/`Infinity` and trailing garbage,
/// * limits nesting to ``maximumDepth`` levels and a document to ``maximumValues`` values (a tree of small values
///   takes far more memory than their text: a 32 MB array of `1`s took 0.9 GB),
/// * reports every error with the JSON path being read plus line and column.
///
/// A UTF-8 byte order mark at the very start is skipped.
public enum SodaJSONParser {
    /// The deepest nesting of arrays/objects accepted.
    public static let maximumDepth = 512

    /// The most values (objects, arrays, strings, numbers, literals) one document may hold: about 100,000 Soda
    /// check results. Bounds the parsed tree to a few hundred MB whatever the text.
    public static let maximumValues = 4_000_000

    /// Parses one JSON document of at most `maximumValues` values.
    /// - Throws: ``SodaError`` of kind `.syntax`, with path, line and column.
    public static func parse(_ bytes: [UInt8], maximumValues: Int = SodaJSONParser.maximumValues) throws(SodaError) -> SodaJSON {
        var state = State(bytes: bytes, target: nil)
        state.maximumValues = maximumValues
        state.skipBOM()
        state.skipWhitespace()
        let value = try state.parseValue()
        state.skipWhitespace()
        if state.index < bytes.count {
            throw state.error("unexpected \(state.describeCurrent()) after the end of the document")
        }
        return value
    }

    /// Parses one JSON document given as text.
    public static func parse(_ text: String) throws(SodaError) -> SodaJSON {
        try parse(Array(text.utf8))
    }

    /// The 1-based line and column where the value at `path` starts in `bytes`, when the bytes parse
    /// far enough to reach it. Used to give positions to shape errors found after parsing.
    ///
    /// When `path` does not exist (a missing key), the position of its nearest existing ancestor.
    public static func position(of path: SodaJSONPath, in bytes: [UInt8]) -> (line: Int, column: Int)? {
        var target = path
        while true {
            var state = State(bytes: bytes, target: target)
            state.skipBOM()
            state.skipWhitespace()
            _ = try? state.parseValue()
            if let offset = state.targetOffset { return lineAndColumn(of: offset, in: bytes) }
            guard !target.components.isEmpty else { return nil }
            target.pop()
        }
    }

    static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var i = 0
        let end = min(offset, bytes.count)
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return (line, column)
    }

    struct State {
        let bytes: [UInt8]
        var index = 0
        var depth = 0
        /// How many values the document may hold, and how many it has so far.
        var maximumValues = Int.max
        var values = 0
        var path = SodaJSONPath.root
        let target: SodaJSONPath?
        var targetOffset: Int?

        init(bytes: [UInt8], target: SodaJSONPath?) {
            self.bytes = bytes
            self.target = target
        }

        func error(_ message: String, at offset: Int? = nil) -> SodaError {
            let (line, column) = SodaJSONParser.lineAndColumn(of: offset ?? index, in: bytes)
            return SodaError(kind: .syntax, path: path, message: message, line: line, column: column)
        }

        func describeCurrent() -> String {
            guard index < bytes.count else { return "end of input" }
            let b = bytes[index]
            if b >= 0x20 && b < 0x7F { return "character '\(Character(Unicode.Scalar(b)))'" }
            return "byte 0x" + String(b, radix: 16, uppercase: true)
        }

        mutating func skipBOM() {
            if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
                default: return
                }
            }
        }

        mutating func parseValue() throws(SodaError) -> SodaJSON {
            if let target, targetOffset == nil, target == path { targetOffset = index }
            guard index < bytes.count else { throw error("unexpected end of input; expected a value") }
            values += 1
            guard values <= maximumValues else {
                throw error("the document holds more than \(maximumValues) values (objects, arrays, strings, numbers, "
                            + "literals); Tally reads documents up to that size")
            }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectKeyword("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectKeyword("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectKeyword("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default:
                // A word at the top (a CSV header, plain text) is another kind of file.
                let letter = (bytes[index] | 0x20) >= UInt8(ascii: "a") && (bytes[index] | 0x20) <= UInt8(ascii: "z")
                if letter && path.components.isEmpty && depth == 0 { throw notADocument(at: index) }
                throw error("unexpected \(describeCurrent()); expected a value")
            }
        }

        /// At the top, text that is not JSON is another kind of file (a CSV header starts `time,…`): say so.
        func notADocument(at start: Int) -> SodaError {
            let line = bytes[start...].prefix(40).prefix { $0 != 0x0A && $0 != 0x0D }
            return error("this is not a JSON document: it starts with \"\(String(decoding: line, as: UTF8.self))\"", at: start)
        }

        mutating func expectKeyword(_ word: StaticString) throws(SodaError) {
            let start = index
            let text = word.utf8Start
            for i in 0..<word.utf8CodeUnitCount {
                guard index < bytes.count else { throw error("unexpected end of input in literal \(word)", at: start) }
                guard bytes[index] == text[i] else {
                    // At the top, a word that is not JSON is another kind of file (a CSV header starts `time,…`).
                    if path.components.isEmpty && depth == 0 { throw notADocument(at: start) }
                    throw error("invalid literal; expected \(word)", at: start)
                }
                index += 1
            }
        }

        mutating func enter() throws(SodaError) {
            depth += 1
            if depth > SodaJSONParser.maximumDepth {
                throw error("nesting deeper than \(SodaJSONParser.maximumDepth) levels")
            }
        }

        mutating func parseObject() throws(SodaError) -> SodaJSON {
            try enter()
            index += 1
            var members: [SodaJSONObject.Member] = []
            var seen = Set<[UInt8]>()
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return .object(SodaJSONObject(uniqueMembers: members))
            }
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input; expected a key string") }
                guard bytes[index] == UInt8(ascii: "\"") else {
                    throw error("unexpected \(describeCurrent()); expected a key string")
                }
                let keyStart = index
                let key = try parseString()
                let keyBytes = Array(key.utf8)
                if !seen.insert(keyBytes).inserted {
                    path.push(.key(key))
                    defer { path.pop() }
                    throw error("duplicate key \(SodaJSON.string(key).description)", at: keyStart)
                }
                skipWhitespace()
                guard index < bytes.count else {
                    path.push(.key(key))
                    defer { path.pop() }
                    throw error("unexpected end of input; expected ':'")
                }
                guard bytes[index] == UInt8(ascii: ":") else {
                    path.push(.key(key))
                    defer { path.pop() }
                    throw error("unexpected \(describeCurrent()); expected ':'")
                }
                index += 1
                skipWhitespace()
                path.push(.key(key))
                let value = try parseValue()
                path.pop()
                members.append(SodaJSONObject.Member(key: key, value: value))
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input; expected ',' or '}'") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    depth -= 1
                    return .object(SodaJSONObject(uniqueMembers: members))
                }
                throw error("unexpected \(describeCurrent()); expected ',' or '}'")
            }
        }

        mutating func parseArray() throws(SodaError) -> SodaJSON {
            try enter()
            index += 1
            var elements: [SodaJSON] = []
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                path.push(.index(elements.count))
                let element = try parseValue()
                path.pop()
                elements.append(element)
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input; expected ',' or ']'") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    depth -= 1
                    return .array(elements)
                }
                throw error("unexpected \(describeCurrent()); expected ',' or ']'")
            }
        }

        mutating func parseString() throws(SodaError) -> String {
            let start = index
            index += 1
            var buffer: [UInt8] = []
            var chunkStart = index
            while true {
                guard index < bytes.count else { throw error("unexpected end of input in a string") }
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    buffer.append(contentsOf: bytes[chunkStart..<index])
                    index += 1
                    break
                }
                if b < 0x20 {
                    throw error("control character (byte 0x\(String(b, radix: 16, uppercase: true))) in a string must be escaped")
                }
                if b == UInt8(ascii: "\\") {
                    buffer.append(contentsOf: bytes[chunkStart..<index])
                    try parseEscape(into: &buffer)
                    chunkStart = index
                    continue
                }
                index += 1
            }
            guard let text = String(validating: buffer, as: UTF8.self) else {
                throw error("invalid UTF-8 in a string", at: start)
            }
            return text
        }

        mutating func parseEscape(into buffer: inout [UInt8]) throws(SodaError) {
            let escapeStart = index
            index += 1
            guard index < bytes.count else { throw error("unexpected end of input in an escape sequence", at: escapeStart) }
            let c = bytes[index]
            index += 1
            switch c {
            case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4(escapeStart: escapeStart)
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired high surrogate in \\u escape", at: escapeStart)
                    }
                    index += 2
                    let low = try parseHex4(escapeStart: escapeStart)
                    guard low >= 0xDC00 && low <= 0xDFFF else {
                        throw error("invalid low surrogate in \\u escape", at: escapeStart)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw error("unpaired low surrogate in \\u escape", at: escapeStart)
                }
                guard let unicode = Unicode.Scalar(scalar) else {
                    throw error("invalid \\u escape", at: escapeStart)
                }
                buffer.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw error("invalid escape sequence '\\\(Character(Unicode.Scalar(c)))'", at: escapeStart)
            }
        }

        mutating func parseHex4(escapeStart: Int) throws(SodaError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("unexpected end of input in a \\u escape", at: escapeStart) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[index]
                let digit: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw error("invalid hex digit in a \\u escape", at: escapeStart)
                }
                value = value * 16 + digit
                index += 1
            }
            return value
        }

        mutating func parseNumber() throws(SodaError) -> SodaNumber {
            let start = index
            func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw error("invalid number: expected a digit", at: start) }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if isDigit(index) { throw error("invalid number: leading zeros are not allowed", at: start) }
            } else {
                while isDigit(index) { index += 1 }
            }
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard isDigit(index) else { throw error("invalid number: expected a digit after '.'", at: start) }
                while isDigit(index) { index += 1 }
            }
            if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
                index += 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
                guard isDigit(index) else { throw error("invalid number: expected a digit in the exponent", at: start) }
                while isDigit(index) { index += 1 }
            }
            return SodaNumber(unchecked: String(decoding: bytes[start..<index], as: UTF8.self))
        }
    }
}
