/// A position in the query text.
///
/// `offset` counts Unicode scalars from the start of the text (0-based); `line` and `column` are 1-based,
/// with the column counted in Unicode scalars.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Unicode-scalar offset from the start of the query text, 0-based.
    public var offset: Int
    /// Line number, 1-based.
    public var line: Int
    /// Column number in Unicode scalars, 1-based.
    public var column: Int

    /// Creates a position.
    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool { a.offset < b.offset }

    /// `LINE:COLUMN`.
    public var description: String { "\(line):\(column)" }
}

/// A half-open range `[start, end)` of the query text.
public struct SourceSpan: Sendable, Hashable, CustomStringConvertible {
    /// The first scalar of the span.
    public var start: SourcePosition
    /// The position just after the last scalar of the span.
    public var end: SourcePosition

    /// Creates a span.
    public init(start: SourcePosition, end: SourcePosition) {
        self.start = start
        self.end = end
    }

    /// The smallest span covering both `self` and `other`.
    public func merged(with other: SourceSpan) -> SourceSpan {
        SourceSpan(start: Swift.min(start, other.start), end: Swift.max(end, other.end))
    }

    public var description: String { "\(start)-\(end)" }
}
