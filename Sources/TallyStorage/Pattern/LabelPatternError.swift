/// Why a regular expression was refused: a syntax error, a construct that cannot be matched in linear time or is
/// not supported, or a pattern over the size limits.
public struct LabelPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and where, e.g. `missing ")" for "(" at column 2`.
    public var message: String
    /// The 1-based position in the pattern, counted in Unicode scalars, of what is wrong; nil when the problem is
    /// the pattern as a whole (its compiled size).
    public var column: Int?

    /// An error saying `message`, at `column` of the pattern (nil: the pattern as a whole).
    public init(_ message: String, column: Int?) {
        self.message = message
        self.column = column
    }

    public var description: String { message }

    /// The error as label matchers report it, naming the pattern — the message of the query parser's error and of
    /// ``LabelMatcher``'s: `invalid regular expression "a(b": missing ")" for "(" at column 2`.
    /// - Parameter pattern: The pattern as written, which this error refused.
    public func describing(pattern: String) -> String {
        "invalid regular expression \(quoteLabelValue(pattern)): \(message)"
    }
}
