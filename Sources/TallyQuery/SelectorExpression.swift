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
    public func matches(metric name: String, labels: Labels) -> Bool {
        if let metric, metric != name { return false }
        return matches(labels: labels)
    }

    /// Whether all label matchers accept these labels (the metric name is not looked at).
    ///
    /// A label the series does not have counts as the empty string, so `dataset!="x"` selects series
    /// without a `dataset` label and `dataset=""` selects exactly those.
    /// This is the reference behaviour for in-memory data sources; it compiles regexes on every call.
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
    public var op: Operator
    /// The string or regular expression.
    public var value: String
    /// Where the matcher is in the query text, when it came from one.
    public var span: SourceSpan?

    /// Creates a matcher.
    public init(_ name: String, _ op: Operator, _ value: String, span: SourceSpan? = nil) {
        self.name = name
        self.op = op
        self.value = value
        self.span = span
    }

    /// Whether the label value `v` is accepted. Regular expressions use Swift's `Regex` syntax and must match
    /// the whole value (they are anchored at both ends). An invalid regex matches nothing.
    public func matches(_ v: String) -> Bool {
        switch op {
        case .equal: return v == value
        case .notEqual: return v != value
        case .regexMatch, .regexNotMatch:
            guard let regex = try? Regex(value) else { return false }
            let whole = (try? regex.wholeMatch(in: v)) != nil
            return op == .regexMatch ? whole : !whole
        }
    }

    /// Checks that a regex value compiles; returns the compiler's message when it does not.
    static func regexProblem(_ pattern: String) -> String? {
        do {
            _ = try Regex(pattern)
            return nil
        } catch {
            return "\(error)"
        }
    }
}
