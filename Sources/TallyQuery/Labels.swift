import TallyStorage
import TallyEncoding
/// The labels of a series, kept sorted by name with unique names.
///
/// Ordered by comparing the (name, value) pairs in turn, so series sort by metric, then labels.
public struct Labels: Sendable, Hashable, Comparable, RandomAccessCollection, ExpressibleByDictionaryLiteral,
    CustomStringConvertible {
    /// The labels, sorted by name.
    public private(set) var pairs: [Label]

    /// No labels.
    public init() { pairs = [] }

    /// Labels from pairs in any order; for a repeated name the last value wins.
    public init(_ labels: [Label]) {
        var byName: [String: String] = [:]
        for l in labels { byName[l.name] = l.value }
        pairs = byName.map { Label($0.key, $0.value) }.sorted { $0.name < $1.name }
    }

    /// Labels from a dictionary.
    public init(_ dictionary: [String: String]) {
        pairs = dictionary.map { Label($0.key, $0.value) }.sorted { $0.name < $1.name }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { Label($0.0, $0.1) })
    }

    public var startIndex: Int { pairs.startIndex }
    public var endIndex: Int { pairs.endIndex }
    public subscript(position: Int) -> Label { pairs[position] }

    /// The value of the label `name`, or `nil` if the series has no such label.
    public subscript(name: String) -> String? {
        get {
            var lo = 0, hi = pairs.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if pairs[mid].name < name { lo = mid + 1 } else { hi = mid }
            }
            return lo < pairs.count && pairs[lo].name == name ? pairs[lo].value : nil
        }
        set {
            var copy = pairs.filter { $0.name != name }
            if let newValue { copy.append(Label(name, newValue)) }
            pairs = copy.sorted { $0.name < $1.name }
        }
    }

    /// Only the labels whose names are in `names`.
    public func keeping(_ names: [String]) -> Labels {
        var l = Labels()
        l.pairs = pairs.filter { names.contains($0.name) }
        return l
    }

    public static func < (a: Labels, b: Labels) -> Bool {
        for (x, y) in zip(a.pairs, b.pairs) {
            if x.name != y.name { return x.name < y.name }
            if x.value != y.value { return x.value < y.value }
        }
        return a.pairs.count < b.pairs.count
    }

    /// `{dataset="orders", column="id"}` (empty braces for no labels).
    public var description: String {
        "{" + pairs.map { "\($0.name)=\(quoteLabelValue($0.value))" }.joined(separator: ", ") + "}"
    }
}
