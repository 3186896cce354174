import TallyStorage
import TallyEncoding
extension QueryResult {
    /// The result as JSON:
    ///
    /// ```json
    /// {"series":[{"metric":"row_count","labels":{"dataset":"orders"},
    ///             "points":[{"time":"2024-05-01T06:00:00Z","value":100.0}]}]}
    /// ```
    /// - `time`: ISO 8601 UTC with `Z`, milliseconds only when not zero;
    /// - `value`: a number (integers as `100.0`), or `null` with a `"reason"`; NaN and infinities, which JSON
    ///   cannot hold, as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`;
    /// - optional per point: `"reason"`, `"outcome"` (check points: `pass`, `warn`, `fail`, `error`,
    ///   `not_evaluated`), `"expected"`, `"lower"`, `"upper"`, `"score"`, `"anomaly"` and `"alert"` (booleans),
    ///   and `"in_progress": true` on the points of a bucket that had not ended at `now` (``QueryResult/inProgress``),
    ///   `"partial": true` when the end of the query's range cut it, and on the points of a first bucket its start
    ///   cut (``QueryResult/partialFirst``).
    ///
    /// - Parameter pretty: One point per line with spaces after `:` and `,` (the default is compact, one line).
    public func json(pretty: Bool = false) -> String {
        let colon = pretty ? ": " : ":"
        let comma = pretty ? ", " : ","
        let partial = partialBuckets
        var out = "{\"series\"\(colon)["
        for (k, s) in series.enumerated() {
            if k > 0 { out += "," }
            if pretty { out += "\n  " }
            out += "{\"metric\"\(colon)" + JSONText.string(s.metric) + "\(comma)\"labels\"\(colon){"
            out += s.labels.map { JSONText.string($0.name) + colon + JSONText.string($0.value) }.joined(separator: comma)
            out += "}\(comma)\"points\"\(colon)["
            for i in 0..<s.count {
                if i > 0 { out += "," }
                if pretty { out += "\n    " }
                out += "{\"time\"\(colon)\"" + TimeText.format(s.times[i]) + "\"\(comma)\"value\"\(colon)"
                out += s.isNull(at: i) ? "null" : JSONText.number(s.values[i])
                if let reason = s.shownReason(at: i) {
                    out += "\(comma)\"reason\"\(colon)" + JSONText.string(reason)
                }
                if let code = s.outcomes?[i], code != 0 {
                    out += "\(comma)\"outcome\"\(colon)" + JSONText.string(NumberFormat.outcomeName(code))
                }
                for (name, column) in [("expected", s.expected), ("lower", s.lower), ("upper", s.upper), ("score", s.score)] {
                    if let v = column?[i] {
                        out += "\(comma)\"\(name)\"\(colon)" + (NullValue.isNull(v) ? "null" : JSONText.number(v))
                    }
                }
                if let a = s.anomaly?[i] { out += "\(comma)\"anomaly\"\(colon)\(a)" }
                if let a = s.alert?[i] { out += "\(comma)\"alert\"\(colon)\(a)" }
                if let bucket = partial.bucket(holding: s.times[i]), !s.isNull(at: i) || s.expected == nil {
                    out += "\(comma)\"\(bucket.jsonKey)\"\(colon)true"
                }
                out += "}"
            }
            if pretty && s.count > 0 { out += "\n  " }
            out += "]}"
        }
        if pretty && !series.isEmpty { out += "\n" }
        out += "]}"
        return out
    }
}

/// JSON text for strings and numbers, as query output writes them.
public enum JSONText {
    /// A JSON number, or a string for NaN and infinities.
    public static func number(_ v: Double) -> String {
        v.isFinite ? v.description : "\"" + NumberFormat.plain(v) + "\""
    }

    /// A quoted JSON string with `"`, `\` and control characters escaped, and `<` as `\u003c` so the JSON can be
    /// inlined in an HTML page (no `</script>` can end up in it).
    public static func string(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<": out += "\\u003c"
            default:
                if c.value < 0x20 {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }
}
