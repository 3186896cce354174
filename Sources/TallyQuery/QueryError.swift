/// An error in a query: its text, its meaning, or its execution.
///
/// Errors found in the query text carry the span they are about; `render(query:)` prints them for people:
///
/// ```text
/// query error at 1:13: unknown stage `buckt`; did you mean `bucket`?
/// row_count | buckt 1d avg
///             ^
/// ```
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad class of an error.
    public enum Kind: Sendable, Equatable {
        /// The text could not be read: a bad character, a missing token, a malformed time.
        case syntax
        /// The text was read but means nothing valid (an unknown aggregate, an empty range, a bad bucket width).
        case invalid
        /// A configured limit (series matched, points read) was exceeded.
        case limitExceeded
        /// A stage that needs an extension (`anomalies`, `forecast`, `where anomaly`) has none connected.
        case stageUnavailable
    }

    /// The broad class of this error.
    public var kind: Kind
    /// What was expected, or what is wrong, without the position (e.g. "expected a duration such as `1d`, found `avg`").
    public var message: String
    /// Where in the query text the problem is; `nil` only for errors that concern no particular place.
    public var span: SourceSpan?
    /// The nearest valid word, for unknown names ("bucket" for "buckt").
    public var suggestion: String?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, at span: SourceSpan?, suggestion: String? = nil) {
        self.kind = kind
        self.message = message
        self.span = span
        self.suggestion = suggestion
    }

    /// The 1-based line of the error (1 when the error has no position).
    public var line: Int { span?.start.line ?? 1 }
    /// The 1-based column of the error (1 when the error has no position).
    public var column: Int { span?.start.column ?? 1 }

    /// The message with its suggestion, if any.
    public var fullMessage: String {
        if let suggestion { return "\(message); did you mean `\(suggestion)`?" }
        return message
    }

    /// `query error at LINE:COL: message` on one line.
    public var description: String {
        guard span != nil else { return "query error: \(fullMessage)" }
        return "query error at \(line):\(column): \(fullMessage)"
    }

    /// The error for people: the description, then the offending query line, then a caret under the position.
    ///
    /// - Parameter query: The query text the error was found in.
    /// - Returns: Three lines separated by `\n` (one line when the error has no position).
    public func render(query: String) -> String {
        markedLine(query: query).map { "\(description)\n\($0)" } ?? description
    }

    /// The query's line that holds the error, and under it a caret at the position (two lines); nil when the error
    /// has no position in `query`.
    public func markedLine(query: String) -> String? {
        guard let span else { return nil }
        // Split on the scalar: "\r\n" is one Character, so splitting the String on "\n" would miss CRLF line ends.
        let lines = query.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        guard span.start.line >= 1, span.start.line <= lines.count else { return nil }
        var text = String(String.UnicodeScalarView(lines[span.start.line - 1]))
        if text.hasSuffix("\r") { text.removeLast() }
        // The caret sits under the column as a terminal shows it: a tab stays a tab, a wide character (CJK, most
        // emoji) takes two spaces, a combining mark none (`TableText.width`, as tables are aligned).
        var caret = ""
        for (i, scalar) in text.unicodeScalars.enumerated() where i < span.start.column - 1 {
            if scalar == "\t" { caret += "\t"; continue }
            caret += String(repeating: " ", count: TableText.width(String(scalar)))
        }
        let missing = span.start.column - 1 - text.unicodeScalars.count
        if missing > 0 { caret += String(repeating: " ", count: missing) }
        return "\(text)\n\(caret)^"
    }
}

/// Nearest-word suggestions for misspelt names.
public enum Suggestions {
    /// The Levenshtein distance between two words (case-insensitive).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased().unicodeScalars), y = Array(b.lowercased().unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// The candidate closest to `word`, if it is close enough to be a plausible typo.
    ///
    /// Close enough means an edit distance of at most 2, and less than the length of the word.
    /// Words from other tools, mapped to ours, so that close misspellings of them are understood too.
    ///
    /// - Parameter aliases: other spellings (`average`) mapped to the candidate they stand for (`avg`).
    public static func nearest(to word: String, in candidates: [String], aliases: [String: String] = [:]) -> String? {
        var best: (String, Int)?
        for (spelling, candidate) in candidates.map({ ($0, $0) }) + aliases.sorted(by: { $0.key < $1.key }).map({ ($0.key, $0.value) }) {
            let d = editDistance(word, spelling)
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        guard let (candidate, distance) = best else { return nil }
        let limit = Swift.min(2, Swift.max(1, word.unicodeScalars.count - 1))
        return distance <= limit ? candidate : nil
    }

    /// Other names for aggregates.
    static let aggregateAliases = ["average": "avg", "mean": "avg", "total": "sum", "minimum": "min",
                                   "maximum": "max", "std": "stddev", "stdev": "stddev", "p50th": "median"]
    /// Other names for stages.
    static let stageAliases = ["filter": "where", "tail": "last", "resample": "bucket", "group": "agg",
                               "aggregate": "agg", "delta": "diff", "difference": "diff", "moving": "rolling",
                               "window": "rolling", "anomaly": "anomalies", "predict": "forecast", "after": "since",
                               "before": "until", "limit": "top", "lttb": "downsample", "outcome": "outcomes"]
}
