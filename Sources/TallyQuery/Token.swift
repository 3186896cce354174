/// The kinds of tokens of the query language.
public enum TokenKind: Sendable, Equatable {
    /// A name: `[A-Za-z_][A-Za-z0-9_.]*` (metric and label names, keywords, aggregates).
    case identifier(String)
    /// A quoted string, escapes already resolved.
    case string(String)
    /// A number (`7`, `2.5`, `1e6`); the token's `text` keeps its spelling, to tell integers apart.
    case number(Double)
    /// A duration (`90m`, `1h30m`, `1mo`).
    case duration(QueryDuration)
    /// A time literal (`2024-05-01`, `2024-05-01T06:00:00+02:00`) in epoch milliseconds.
    case time(Int64)
    /// A count of points (`500p`), as stage options take it (`anomalies training=500p refractory=100p`).
    case pointCount(Int64)
    /// `|`
    case pipe
    /// `{`
    case leftBrace
    /// `}`
    case rightBrace
    /// `(`
    case leftParen
    /// `)`
    case rightParen
    /// `,`
    case comma
    /// `=` (also spelt `==`)
    case equal
    /// `!=`
    case notEqual
    /// `=~`
    case regexMatch
    /// `!~`
    case regexNotMatch
    /// `<`
    case less
    /// `<=`
    case lessOrEqual
    /// `>`
    case greater
    /// `>=`
    case greaterOrEqual
    /// `+`
    case plus
    /// `-`
    case minus
    /// The end of the query.
    case end

    /// How the kind is named in "expected …, found …" messages.
    var name: String {
        switch self {
        case .identifier(let s): return "`\(s)`"
        case .string: return "a string"
        case .number: return "a number"
        case .duration: return "a duration"
        case .time: return "a time"
        case .pointCount: return "a point count"
        case .pipe: return "`|`"
        case .leftBrace: return "`{`"
        case .rightBrace: return "`}`"
        case .leftParen: return "`(`"
        case .rightParen: return "`)`"
        case .comma: return "`,`"
        case .equal: return "`=`"
        case .notEqual: return "`!=`"
        case .regexMatch: return "`=~`"
        case .regexNotMatch: return "`!~`"
        case .less: return "`<`"
        case .lessOrEqual: return "`<=`"
        case .greater: return "`>`"
        case .greaterOrEqual: return "`>=`"
        case .plus: return "`+`"
        case .minus: return "`-`"
        case .end: return "the end of the query"
        }
    }
}

/// One token with its place in the query text.
public struct Token: Sendable, Equatable {
    /// What the token is.
    public var kind: TokenKind
    /// Where it is.
    public var span: SourceSpan
    /// Its exact spelling in the query text.
    public var text: String
    /// Whether whitespace or a comment came right before it (used to rebuild raw option text).
    public var spaceBefore: Bool

    /// Creates a token.
    public init(kind: TokenKind, span: SourceSpan, text: String, spaceBefore: Bool = false) {
        self.kind = kind
        self.span = span
        self.text = text
        self.spaceBefore = spaceBefore
    }

    /// How the token is named in "found …" messages: its spelling, or "the end of the query".
    var described: String {
        if case .end = kind { return "the end of the query" }
        return "`\(text)`"
    }
}
