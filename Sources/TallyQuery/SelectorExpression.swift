import TallyStorage

/// Which series a query reads: a metric name, label matchers, or both.
public struct SelectorExpression: Sendable, Equatable {
    /// The metric name, if the query names one.
    public var metric: String?
    /// The label matchers; all must match.
    public var matchers: [MatcherExpression]

    /// Creates a selector.
    public init(metric: String?, matchers: [MatcherExpression] = []) {
        self.metric = metric
        self.matchers = matchers
    }

    /// Whether a series with this metric and these labels is selected.
    ///
    /// A label the series does not have counts as the empty string, so `dataset!="x"` selects series without a
    /// `dataset` label and `dataset=""` selects exactly those; a matcher on `__name__` compares the metric name.
    /// This is the reference behaviour for in-memory data sources.
    public func matches(metric name: String, labels: Labels) -> Bool {
        if let metric, metric != name { return false }
        return matchers.allSatisfy { $0.matches(selectorValue(of: $0.name, metric: name) { labels[$0] } ?? "") }
    }

    /// Whether all label matchers accept these labels. The metric name is not looked at, so a matcher on
    /// `__name__` sees the empty string: use ``matches(metric:labels:)`` for series.
    public func matches(labels: Labels) -> Bool {
        matchers.allSatisfy { $0.matches(labels[$0.name] ?? "") }
    }
}

/// One label matcher: `label = "v"`, `label != "v"`, `label =~ "re"`, `label !~ "re"`.
public struct MatcherExpression: Sendable, Equatable {
    /// How the value is compared.
    public enum Operator: String, Sendable, Equatable, CaseIterable {
        /// `=`: equal.
        case equal = "="
        /// `!=`: not equal.
        case notEqual = "!="
        /// `=~`: the regular expression matches the whole value.
        case regexMatch = "=~"
        /// `!~`: the regular expression does not match the whole value.
        case regexNotMatch = "!~"
    }

    /// The label name.
    public var name: String
    /// The comparison.
    public var op: Operator {
        didSet { compiled = Self.compile(op, value) }
    }
    /// The string or regular expression.
    public var value: String {
        didSet { compiled = Self.compile(op, value) }
    }
    /// Where the matcher is in the query text, when it came from one.
    public var span: SourceSpan?
    /// `value` compiled, or why it does not compile, for a regular-expression matcher; nil for the other operators.
    /// Derived from `op` and `value`, so it adds nothing to equality.
    private var compiled: Result<LabelPattern, LabelPatternError>?

    /// The compiled `value` of a regular-expression matcher; nil for the other operators and for a regex that does
    /// not compile (``patternError`` says why).
    public var pattern: LabelPattern? {
        if case .success(let pattern) = compiled { return pattern }
        return nil
    }

    /// Why the `value` of a regular-expression matcher does not compile (what and at which column of the pattern);
    /// nil when it compiles, and for the other operators.
    public var patternError: LabelPatternError? {
        if case .failure(let error) = compiled { return error }
        return nil
    }

    /// Creates a matcher, compiling `value` once for `=~` and `!~`.
    public init(_ name: String, _ op: Operator, _ value: String, span: SourceSpan? = nil) {
        self.name = name
        self.op = op
        self.value = value
        self.span = span
        compiled = Self.compile(op, value)
    }

    /// Whether the label value `v` is accepted. Regular expressions are ``LabelPattern``s (RE2-like syntax, matched
    /// in linear time) and must match the whole value (they are anchored at both ends). An invalid regex matches
    /// nothing.
    public func matches(_ v: String) -> Bool {
        switch op {
        case .equal: return v == value
        case .notEqual: return v != value
        case .regexMatch: return pattern?.matchesWhole(v) ?? false
        case .regexNotMatch: return pattern.map { !$0.matchesWhole(v) } ?? false
        }
    }

    public static func == (a: MatcherExpression, b: MatcherExpression) -> Bool {
        a.name == b.name && a.op == b.op && a.value == b.value && a.span == b.span
    }

    private static func compile(_ op: Operator, _ value: String) -> Result<LabelPattern, LabelPatternError>? {
        guard op == .regexMatch || op == .regexNotMatch else { return nil }
        do throws(LabelPatternError) {
            return .success(try LabelPattern(value))
        } catch {
            return .failure(error)
        }
    }
}
