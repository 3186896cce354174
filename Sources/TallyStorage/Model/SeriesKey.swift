/// One identifying label of a series: a name and a value.
public struct Label: Hashable, Sendable, Comparable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public static func < (a: Label, b: Label) -> Bool {
        a.name != b.name ? a.name < b.name : a.value < b.value
    }
}

/// What a series records: measurements (a value per scan) or check results (an outcome and a diagnostic value).
public enum SeriesKind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case measurement = 0
    case check = 1

    public var description: String { self == .measurement ? "measurement" : "check" }
}

/// The identity of a series: a metric name and a set of labels, kept sorted by label name.
///
/// Two keys with the same metric and the same labels (in any order) are the same series.
public struct SeriesKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let metric: String
    /// The labels, sorted by name; names are unique.
    public let labels: [Label]

    /// Makes a key; labels are sorted by name. Use ``validate()`` to check names before writing.
    public init(metric: String, labels: [Label] = []) {
        self.metric = metric
        // Keys read back from the catalog arrive in order: checking is cheaper than sorting a copy.
        var inOrder = true
        for i in labels.indices.dropFirst() where !(labels[i - 1] < labels[i]) {
            inOrder = false
            break
        }
        self.labels = inOrder ? labels : labels.sorted()
    }

    /// Makes a key from a dictionary of labels.
    public init(metric: String, labels: [String: String]) {
        self.init(metric: metric, labels: labels.map { Label($0.key, $0.value) })
    }

    /// The value of the label `name`, if the series has it.
    public subscript(label name: String) -> String? {
        labels.first { $0.name == name }?.value
    }

    /// What a selector's matcher on `name` compares: the metric for ``metricNameLabel`` (`__name__`, as in
    /// PromQL), else the label's value.
    public func selectorValue(of name: String) -> String? {
        TallyStorage.selectorValue(of: name, metric: metric) { self[label: $0] }
    }

    /// `metric{a="x", b="y"}`, the same syntax selectors use.
    public var description: String {
        if labels.isEmpty { return metric }
        let inner = labels.map { "\($0.name)=\(quoteLabelValue($0.value))" }.joined(separator: ", ")
        return "\(metric){\(inner)}"
    }

    public static func < (a: SeriesKey, b: SeriesKey) -> Bool {
        if a.metric != b.metric { return a.metric < b.metric }
        return a.labels.lexicographicallyPrecedes(b.labels)
    }

    /// Checks metric and label names (`[A-Za-z_][A-Za-z0-9_.]*`), that no label name repeats and that no label
    /// value holds a NUL character (the catalog keeps values as C strings, which end at the first NUL).
    public func validate() throws(InputError) {
        guard isValidName(metric) else {
            throw InputError(field: "metric", message: "invalid metric name \(quoteLabelValue(metric)): expected [A-Za-z_][A-Za-z0-9_.]*")
        }
        var previous: String?
        for label in labels {
            guard isValidName(label.name) else {
                throw InputError(field: label.name, message: "invalid label name \(quoteLabelValue(label.name)): expected [A-Za-z_][A-Za-z0-9_.]*")
            }
            guard label.name != metricNameLabel else {
                throw InputError(field: label.name, message: metricNameLabelReserved)
            }
            if label.name == previous {
                throw InputError(field: label.name, message: "label \(label.name) appears twice in series \(self)")
            }
            if label.value.utf8.contains(0) {
                throw InputError(field: label.name, message: "the value of label \(label.name) holds a NUL character "
                                 + "(U+0000), which a label value may not: \(quoteLabelValue(label.value))")
            }
            previous = label.name
        }
    }
}

/// The label name that selectors read as the metric name (`{__name__=~"row_count|missing_count"}`, as in PromQL);
/// no series may have a label of that name.
public let metricNameLabel = "__name__"

/// What a selector's matcher on `name` compares, for a series with this metric and these labels (`label` looks
/// one up): the metric for ``metricNameLabel``, else the label's value. Every matching of series goes through it.
@inlinable
public func selectorValue(of name: String, metric: String, label: (String) -> String?) -> String? {
    name == metricNameLabel ? metric : label(name)
}

/// Why a label may not be called ``metricNameLabel``.
package let metricNameLabelReserved = "the label name __name__ is reserved: selectors use it for the metric name"

/// True for names of the form `[A-Za-z_][A-Za-z0-9_.]*`.
package func isValidName(_ name: String) -> Bool {
    var first = true
    for byte in name.utf8 {
        let isLetter = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        let isDigitOrDot = (byte >= 0x30 && byte <= 0x39) || byte == 0x2E
        if first {
            guard isLetter else { return false }
            first = false
        } else if !(isLetter || isDigitOrDot) {
            return false
        }
    }
    return !first
}

/// A label value in double quotes with `\`, `"` and control characters escaped.
public func quoteLabelValue(_ value: String) -> String {
    var out = "\""
    for ch in value.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out + "\""
}
