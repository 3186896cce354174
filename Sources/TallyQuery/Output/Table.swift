extension QueryResult {
    /// The result as an aligned text table for people: the CSV columns, separated by two spaces, numbers
    /// right-aligned, null values shown as `null`, line breaks in cells shown as `\n`.
    /// An empty result is `(no series)`.
    public func table() -> String {
        let layout = FlatLayout(self)
        let header = layout.header
        let rows = layout.rows(self, null: "null").map { $0.map(TableText.cell) }
        if series.isEmpty { return "(no series)\n" }
        let numeric: Set<String> = ["value", "expected", "lower", "upper", "score"]
        let rightAligned = header.map { numeric.contains($0) }
        var widths = header.map(\.count)
        for row in rows {
            for (c, cell) in row.enumerated() { widths[c] = Swift.max(widths[c], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (c, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                parts.append(rightAligned[c] ? pad + cell : cell + pad)
            }
            var text = parts.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text + "\n"
        }
        return line(header) + rows.map(line).joined()
    }
}

enum TableText {
    static func cell(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
