/// Non-identifying facts about a series: they can change without starting a new series.
///
/// Well-known keys: `unit` (e.g. `rows`, `seconds`), `value_type` (`integer` or `decimal`), `description`.
/// Any other string pairs are kept as they are (Soda identities, check definitions, thresholds...).
public struct Attributes: Hashable, Sendable {
    /// The attributes sorted by key.
    public private(set) var entries: [Label]

    public init(_ entries: [String: String] = [:]) {
        self.entries = entries.map { Label($0.key, $0.value) }.sorted()
    }

    public var isEmpty: Bool { entries.isEmpty }

    public subscript(key: String) -> String? {
        get { entries.first { $0.name == key }?.value }
        set {
            entries.removeAll { $0.name == key }
            if let newValue {
                entries.append(Label(key, newValue))
                entries.sort()
            }
        }
    }

    /// These attributes with `other`'s entries laid over them.
    public func merging(_ other: Attributes) -> Attributes {
        var merged = self
        for entry in other.entries { merged[entry.name] = entry.value }
        return merged
    }

    public var dictionary: [String: String] {
        Dictionary(entries.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
    }
}
