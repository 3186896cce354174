/// How a label matcher compares a label's value.
public enum MatchOperator: String, Sendable, Hashable {
    case equal = "="
    case notEqual = "!="
    case matchesRegex = "=~"
    case notMatchesRegex = "!~"
}

/// One condition on a label: `name op "value"`. Regular expressions match the whole value.
///
/// A series without the label compares as if its value were the empty string, as in Prometheus:
/// `dataset=""` selects series with no `dataset` label, `dataset!=""` those that have one.
public struct LabelMatcher: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let op: MatchOperator
    public let value: String
    private let regex: RegexBox?

    /// Makes a matcher; a regular expression that does not compile is a ``InputError``.
    public init(name: String, op: MatchOperator, value: String) throws(InputError) {
        self.name = name
        self.op = op
        self.value = value
        if op == .matchesRegex || op == .notMatchesRegex {
            do {
                regex = RegexBox(try Regex(value))
            } catch {
                throw InputError(field: name, message: "invalid regular expression \(quoteLabelValue(value)): \(error)")
            }
        } else {
            regex = nil
        }
    }

    /// True when a label value (nil: the series has no such label) satisfies the matcher.
    public func matches(_ labelValue: String?) -> Bool {
        let v = labelValue ?? ""
        switch op {
        case .equal: return v == value
        case .notEqual: return v != value
        case .matchesRegex: return regex!.wholeMatches(v)
        case .notMatchesRegex: return !regex!.wholeMatches(v)
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

/// A compiled regular expression that can be shared between threads.
private final class RegexBox: @unchecked Sendable {
    // Regex<AnyRegexOutput> is not Sendable; matching does not mutate it.
    let regex: Regex<AnyRegexOutput>
    init(_ regex: Regex<AnyRegexOutput>) { self.regex = regex }
    func wholeMatches(_ s: String) -> Bool { (try? regex.wholeMatch(in: s)) != nil }
}

/// Chooses series: an optional metric name and label matchers, all of which must hold.
///
/// Written `metric{label="v", label!="v", label=~"re", label!~"re"}`; either part may be left out.
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
        return matchers.allSatisfy { $0.matches(key[label: $0.name]) }
    }

    public var description: String {
        let inner = matchers.isEmpty ? "" : "{" + matchers.map(\.description).joined(separator: ", ") + "}"
        return (metric ?? "") + inner
    }
}
