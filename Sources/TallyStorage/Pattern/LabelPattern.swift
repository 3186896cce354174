/// A regular expression for label matchers (`label=~"re"`, `label!~"re"`), matched against the whole value in time
/// linear in the value's length: O(scalars × program size), never backtracking.
///
/// The syntax is the RE2/Prometheus subset described in docs/query-language.md: literals, `.`, escapes, classes,
/// groups, alternation, greedy and lazy repetition with counts up to ``maxRepeatCount``, anchors, `\b`, and the
/// flags `i`, `m`, `s`, `U`. Backreferences, lookaround, atomic groups and possessive repetition are refused: they
/// cannot be matched in linear time. Matching works on Unicode scalars (not grapheme clusters, as Swift's `Regex`
/// does by default): `.` is one scalar, and `é` written as `e` plus a combining accent is two.
///
/// A compiled pattern is an immutable value that threads share freely.
public struct LabelPattern: Sendable, Hashable, CustomStringConvertible {
    /// The largest count a repetition may name, as in RE2: `{1000}` and `{2,1000}` are allowed, `{1001}` is not.
    public static let maxRepeatCount = 1000
    /// The most instructions a pattern may compile to, so that no pattern can take memory or time without bound.
    public static let maxInstructions = 10_000
    /// The deepest groups may nest.
    public static let maxGroupDepth = 100

    /// The pattern as written.
    public let source: String
    private let program: PatternProgram
    /// The values a pattern of literals only (`orders`, `orders|customers`) matches, compared byte for byte.
    private let literals: [String]?

    /// Compiles a pattern; a pattern that is malformed, unsupported or over the limits is a ``LabelPatternError``
    /// saying what and at which column.
    public init(_ source: String) throws(LabelPatternError) {
        let node = try PatternParser.parse(source)
        self.source = source
        program = try PatternCompiler.compile(node)
        literals = Self.literalAlternatives(node)
    }

    /// Whether the pattern matches the whole value.
    public func matchesWhole(_ value: String) -> Bool {
        if let literals {
            // Equal scalars are equal UTF-8 bytes (String's == would also equate canonically equivalent forms).
            let length = value.utf8.count
            return literals.contains { $0.utf8.count == length && $0.utf8.elementsEqual(value.utf8) }
        }
        return program.matchesWhole(value)
    }

    /// The pattern as written.
    public var description: String { source }

    /// Patterns are equal when they are written the same (the compiled program follows from the text).
    public static func == (a: LabelPattern, b: LabelPattern) -> Bool { a.source == b.source }

    /// Hashes the text, as equality compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    /// The strings a node of literal scalars, or an alternation of such, stands for; nil for anything else.
    private static func literalAlternatives(_ node: PatternNode) -> [String]? {
        func literal(_ node: PatternNode) -> String? {
            var text = ""
            switch node {
            case .empty:
                break
            case .scalar(let scalar, foldCase: false):
                text.unicodeScalars.append(Unicode.Scalar(scalar)!)
            case .concatenation(let parts):
                for part in parts {
                    guard case .scalar(let scalar, foldCase: false) = part else { return nil }
                    text.unicodeScalars.append(Unicode.Scalar(scalar)!)
                }
            default:
                return nil
            }
            return text
        }
        if case .alternation(let branches) = node {
            var texts: [String] = []
            for branch in branches {
                guard let text = literal(branch) else { return nil }
                texts.append(text)
            }
            return texts
        }
        return literal(node).map { [$0] }
    }
}
