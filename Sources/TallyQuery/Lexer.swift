/// Splits query text into tokens.
///
/// Whitespace separates tokens; `#` starts a comment that runs to the end of the line. Strings are
/// quoted with `"` or `'` and know the escapes `\"`, `\'`, `\\`, `\n`, `\t`. A `+` or `-` directly followed by
/// digits, a dash and a digit starts a time with an expanded year (`-0044-03-15`, `+10000-01-01`); any other `+`
/// or `-` is an operator (`now-7d`, `> -3`).
public struct Lexer {
    private let s: [Unicode.Scalar]
    private var i = 0
    private var line = 1
    private var lineStart = 0
    private let context: Context

    /// What the text is, for messages about characters that cannot be in it.
    public enum Context: Sendable {
        /// A whole query (the default).
        case query
        /// A time expression on its own, such as a `--now` option.
        case time
    }

    /// Creates a lexer over `text`.
    public init(_ text: String, context: Context = .query) {
        s = Array(text.unicodeScalars)
        self.context = context
    }

    /// All the tokens of the text, ending with one `.end` token.
    ///
    /// - Throws: `QueryError` (kind `.syntax`) at the first character that cannot start or continue a token.
    public static func tokenize(_ text: String, context: Context = .query) throws(QueryError) -> [Token] {
        var lexer = Lexer(text, context: context)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if case .end = token.kind { return tokens }
        }
    }

    private var position: SourcePosition {
        SourcePosition(offset: i, line: line, column: i - lineStart + 1)
    }

    private func position(at offset: Int) -> SourcePosition {
        // Only used for offsets on the current line (tokens never span lines, except strings, handled apart).
        SourcePosition(offset: offset, line: line, column: offset - lineStart + 1)
    }

    private func error(_ message: String, at offset: Int) -> QueryError {
        QueryError(.syntax, message, at: SourceSpan(start: position(at: offset), end: position(at: offset + 1)))
    }

    /// Skips whitespace and comments; returns whether anything was skipped.
    private mutating func skipTrivia() -> Bool {
        let before = i
        while i < s.count {
            let c = s[i]
            if c == "\n" {
                i += 1
                line += 1
                lineStart = i
            } else if c == " " || c == "\t" || c == "\r" {
                i += 1
            } else if c == "#" {
                while i < s.count, s[i] != "\n" { i += 1 }
            } else {
                break
            }
        }
        return i != before
    }

    /// The next token (`.end` at the end of the text, and again on every later call).
    public mutating func next() throws(QueryError) -> Token {
        let spaced = skipTrivia() || i == 0
        let start = position
        func make(_ kind: TokenKind, _ length: Int) -> Token {
            i += length
            return finish(kind, start, spaced)
        }
        guard i < s.count else { return finish(.end, start, spaced) }
        let c = s[i]
        let next: Unicode.Scalar? = i + 1 < s.count ? s[i + 1] : nil
        switch c {
        case "|": return make(.pipe, 1)
        case "{": return make(.leftBrace, 1)
        case "}": return make(.rightBrace, 1)
        case "(": return make(.leftParen, 1)
        case ")": return make(.rightParen, 1)
        case ",": return make(.comma, 1)
        case "+", "-":
            // A sign directly before digits, a dash and a digit is a year's: `-0044-03-15`, `+10000-01-01`.
            if TimeLiteral.startsLiteral(s, at: i) { return try time(start: start, spaced: spaced) }
            return make(c == "+" ? .plus : .minus, 1)
        case "=":
            if next == "~" { return make(.regexMatch, 2) }
            if next == "=" { return make(.equal, 2) }
            return make(.equal, 1)
        case "!":
            if next == "=" { return make(.notEqual, 2) }
            if next == "~" { return make(.regexNotMatch, 2) }
            throw error("expected `!=` or `!~` after `!`", at: i)
        case "<": return next == "=" ? make(.lessOrEqual, 2) : make(.less, 1)
        case ">": return next == "=" ? make(.greaterOrEqual, 2) : make(.greater, 1)
        case "\"", "'":
            return try string(quote: c, start: start, spaced: spaced)
        default:
            break
        }
        if QueryDuration.digitValue(c) != nil || (c == "." && next.map { QueryDuration.digitValue($0) != nil } == true) {
            return try numeric(start: start, spaced: spaced)
        }
        if isIdentifierStart(c) {
            while i < s.count, isIdentifierPart(s[i]) { i += 1 }
            let text = String(String.UnicodeScalarView(s[start.offset..<i]))
            return finish(.identifier(text), start, spaced)
        }
        if c == "%" {
            switch context {
            case .query:
                throw error("unexpected character `%`: percentages are written as plain numbers (`ignore_below=5` is 5%)", at: i)
            case .time:
                throw error("unexpected character `%` in a time", at: i)
            }
        }
        throw error("unexpected character `\(c)`", at: i)
    }

    private func finish(_ kind: TokenKind, _ start: SourcePosition, _ spaced: Bool) -> Token {
        let text = String(String.UnicodeScalarView(s[start.offset..<i]))
        return Token(kind: kind, span: SourceSpan(start: start, end: position), text: text, spaceBefore: spaced)
    }

    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { QueryDuration.isLetter(c) || c == "_" }
    private func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || QueryDuration.digitValue(c) != nil || c == "."
    }

    private mutating func string(quote: Unicode.Scalar, start: SourcePosition, spaced: Bool) throws(QueryError) -> Token {
        i += 1
        var value = String.UnicodeScalarView()
        while true {
            guard i < s.count, s[i] != "\n" else {
                throw QueryError(.syntax, "unterminated string: expected a closing `\(quote)`",
                                 at: SourceSpan(start: start, end: position))
            }
            let c = s[i]
            if c == quote { i += 1; break }
            if c == "\\" {
                guard i + 1 < s.count else { throw error("unterminated string: expected a closing `\(quote)`", at: start.offset) }
                switch s[i + 1] {
                case "\"": value.append("\"")
                case "'": value.append("'")
                case "\\": value.append("\\")
                case "n": value.append("\n")
                case "t": value.append("\t")
                default:
                    throw error("unknown escape `\\\(s[i + 1])` in a string; expected one of \\\" \\' \\\\ \\n \\t", at: i)
                }
                i += 2
                continue
            }
            value.append(c)
            i += 1
        }
        return finish(.string(String(value)), start, spaced)
    }

    /// A time literal starting at `i` (where `TimeLiteral.startsLiteral` holds).
    private mutating func time(start: SourcePosition, spaced: Bool) throws(QueryError) -> Token {
        switch TimeLiteral.scan(s, from: i) {
        case .success(let (t, end)):
            i = end
            return finish(.time(t), start, spaced)
        case .failure(let e):
            throw error(e.message, at: e.offset)
        }
    }

    private mutating func numeric(start: SourcePosition, spaced: Bool) throws(QueryError) -> Token {
        if TimeLiteral.startsLiteral(s, at: i) { return try time(start: start, spaced: spaced) }
        // Digits, then a duration unit (a duration) or an optional fraction and exponent (a number).
        var j = i
        while j < s.count, QueryDuration.digitValue(s[j]) != nil { j += 1 }
        // Digits and `p` alone: a point count (`500p`), which stage options take beside durations.
        if j > i, j < s.count, s[j] == "p", !(j + 1 < s.count && isIdentifierPart(s[j + 1])) {
            guard let count = Int64(String(String.UnicodeScalarView(s[i..<j]))) else {
                throw error("point count `\(String(String.UnicodeScalarView(s[i...j])))` is too large: at most \(Int64.max)p", at: i)
            }
            i = j + 1
            return finish(.pointCount(count), start, spaced)
        }
        if j < s.count, QueryDuration.isLetter(s[j]), !(isExponent(at: j)), j > i {
            switch QueryDuration.scan(s, from: i) {
            case .success(let (d, end)):
                i = end
                if i < s.count, isIdentifierPart(s[i]) {
                    throw error("unexpected `\(s[i])` after the duration", at: i)
                }
                return finish(.duration(d), start, spaced)
            case .failure(let e):
                throw error(e.message, at: e.offset)
            }
        }
        if j < s.count, s[j] == "." {
            j += 1
            while j < s.count, QueryDuration.digitValue(s[j]) != nil { j += 1 }
        }
        let exponentStart = j
        let hasExponent = isExponent(at: j)
        if hasExponent {
            j += 1
            if s[j] == "+" || s[j] == "-" { j += 1 }
            while j < s.count, QueryDuration.digitValue(s[j]) != nil { j += 1 }
        }
        if j < s.count, isIdentifierPart(s[j]) {
            if s[j] == "." { throw error("unexpected `.` in a number", at: j) }
            if QueryDuration.isLetter(s[j]) {
                // e.g. `5e2d`: a duration is digits and a unit
                if hasExponent {
                    throw error("durations are written without an exponent: digits and a unit, e.g. `500d` for 5e2d",
                                at: exponentStart)
                }
                // e.g. `1.5h`: a fractional duration, and how to write it whole (`90m`)
                let point = (start.offset..<j).first { s[$0] == "." } ?? j
                throw error("durations take whole numbers; " + QueryDuration.wholeSpelling(s, numberStart: start.offset, point: point),
                            at: start.offset)
            }
            throw error("unexpected `\(s[j])` after the number", at: j)
        }
        let text = String(String.UnicodeScalarView(s[i..<j]))
        guard let value = Double(text) else { throw error("malformed number `\(text)`", at: i) }
        guard value.isFinite else {
            throw error("number `\(text)` is too large: numbers are at most about 1.8e308 in magnitude", at: i)
        }
        i = j
        return finish(.number(value), start, spaced)
    }

    /// Whether an exponent (`e6`, `E-3`, `e+2`) starts at `j`.
    private func isExponent(at j: Int) -> Bool {
        guard j < s.count, s[j] == "e" || s[j] == "E" else { return false }
        var k = j + 1
        if k < s.count, s[k] == "+" || s[k] == "-" { k += 1 }
        return k < s.count && QueryDuration.digitValue(s[k]) != nil
    }
}
