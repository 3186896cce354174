/// How a label matcher compares a label's value.
public enum MatchOperator: String, Sendable, Hashable {
    case equal = "="
    case notEqual = "!="
    case matchesRegex = "=~"
    case notMatchesRegex = "!~"
}

/// One condition on a label: `name op "value"`. Regular expressions match the whole value; they are
/// ``LabelPattern``s, matched in linear time.
///
/// A series without the label compares as if its value were the empty string, as in Prometheus:
/// `dataset=""` selects series with no `dataset` label, `dataset!=""` those that have one.
public struct LabelMatcher: Sendable, Hashable, CustomStringConvertible {
    /// The label's name.
    public let name: String
    /// How the label's value is compared.
    public let op: MatchOperator
    /// The value, or the regular expression as written.
    public let value: String
    /// The compiled `value` of a regular-expression matcher.
    let pattern: LabelPattern?

    /// Makes a matcher; a regular expression that does not compile is an ``InputError`` whose field is the label
    /// name and whose message reads `invalid regular expression "a(b": missing ")" for "(" at column 2`.
    public init(name: String, op: MatchOperator, value: String) throws(InputError) {
        self.name = name
        self.op = op
        self.value = value
        if op == .matchesRegex || op == .notMatchesRegex {
            do throws(LabelPatternError) {
                pattern = try LabelPattern(value)
            } catch {
                throw InputError(field: name, message: error.describing(pattern: value))
            }
        } else {
            pattern = nil
        }
    }

    /// Makes a regular-expression matcher from a pattern already compiled (`op` is `=~` or `!~`).
    public init(name: String, op: MatchOperator, pattern: LabelPattern) {
        precondition(op == .matchesRegex || op == .notMatchesRegex, "a compiled pattern makes a regex matcher")
        self.name = name
        self.op = op
        self.value = pattern.source
        self.pattern = pattern
    }

    /// True when a label value (nil: the series has no such label) satisfies the matcher.
    public func matches(_ labelValue: String?) -> Bool {
        let v = labelValue ?? ""
        switch op {
        case .equal: return v == value
        case .notEqual: return v != value
        case .matchesRegex: return pattern!.matchesWhole(v)
        case .notMatchesRegex: return !pattern!.matchesWhole(v)
        }
    }

    public var description: String { "\(name)\(op.rawValue)\(quoteLabelValue(value))" }

    public static func == (a: LabelMatcher, b: LabelMatcher) -> Bool {
        a.name == b.name && a.op == b.op && a.value == b.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(op)
        hasher.combine(value)
    }
}

/// Chooses series: an optional metric name and label matchers, all of which must hold.
///
/// Written `metric{label="v", label!="v", label=~"re", label!~"re"}`; either part may be left out. A matcher on
/// `__name__` compares the metric name (``metricNameLabel``).
public struct SeriesSelector: Sendable, Hashable, CustomStringConvertible {
    public var metric: String?
    public var matchers: [LabelMatcher]

    public init(metric: String? = nil, matchers: [LabelMatcher] = []) {
        self.metric = metric
        self.matchers = matchers
    }

    /// Selects every series.
    public static let all = SeriesSelector()

    /// True when the key satisfies the metric name and every matcher.
    public func matches(_ key: SeriesKey) -> Bool {
        if let metric, metric != key.metric { return false }
        return matchers.allSatisfy { $0.matches(key.selectorValue(of: $0.name)) }
    }

    public var description: String {
        let inner = matchers.isEmpty ? "" : "{" + matchers.map(\.description).joined(separator: ", ") + "}"
        return (metric ?? "") + inner
    }
}
