extension QueryResult {
    /// The result as CSV: one header row, then one row per point.
    ///
    /// Columns: `metric`, one per label name (the union over all series, sorted; a label named like a column
    /// `tally ingest csv` reads — `metric`, `time`, `value`, `outcome` — or like an optional column shown becomes
    /// `label:NAME`, which ingest reads back as the label), `time` (ISO 8601 UTC), `value` (empty for null), then `reason`, `outcome`,
    /// `expected`, `lower`, `upper`, `score`, `anomaly`, `alert` when some series has them. Fields holding a comma, a quote,
    /// a CR or an LF are quoted as RFC 4180 says, with quotes doubled.
    ///
    /// - Parameter lineEnding: `"\n"` (the default) or `"\r\n"` (RFC 4180's).
    public func csv(lineEnding: String = "\n") -> String {
        let layout = FlatLayout(self)
        var out = layout.header.map(CSVText.field).joined(separator: ",") + lineEnding
        for row in layout.rows(self, null: "") {
            out += row.map(CSVText.field).joined(separator: ",") + lineEnding
        }
        return out
    }
}

/// RFC 4180 fields, as query output writes them.
public enum CSVText {
    public static func field(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        var out = "\""
        for c in s.unicodeScalars {
            if c == "\"" { out += "\"\"" } else { out.unicodeScalars.append(c) }
        }
        return out + "\""
    }
}
