import TallyStorage
extension QueryResult {
    /// The result as an aligned text table for people: the CSV columns, separated by two spaces, numbers
    /// right-aligned, null values shown as `null`, control characters in cells escaped (see `alignedColumns`).
    /// Columns are aligned by terminal width: East Asian wide characters take two columns, combining marks none.
    /// An empty result is `(no series)`; series without points give `(no points in N series)`. A last bucket in
    /// progress is noted under the table (``inProgressNote``).
    public func table() -> String {
        let layout = FlatLayout(self)
        let header = layout.header
        let rows = layout.rows(self, null: "null")
        if series.isEmpty { return "(no series)\n" }
        if rows.isEmpty { return "(no points in \(series.count) series)\n" }
        let numeric: Set<String> = ["value", "expected", "lower", "upper", "score"]
        let table = alignedColumns([header] + rows, rightAligned: header.map { numeric.contains($0) })
        return table + (inProgressNote.map { "note: " + $0 + "\n" } ?? "")
    }

    /// What a reader of a table or CSV needs told about ``partialBuckets``, when some point is in one:
    /// `the last 1w bucket (from 2024-05-13T00:00:00Z) is in progress until 2024-05-20T00:00:00Z: its values hold only
    /// part of it` (or `was cut by the range's end`; for the first, `began before the range`). JSON marks the points
    /// themselves.
    public var inProgressNote: String? {
        let notes = partialBuckets.all.filter { bucket in series.contains { $0.times.contains(where: bucket.contains) } }.map { bucket in
            let which = "the \(bucket.cutAtStart ? "first" : "last") \(bucket.width) bucket (from \(TimeText.format(bucket.start)))"
            let how = bucket.cutAtStart ? " began before the range"
                : bucket.endsAtNow ? " is in progress until \(TimeText.format(bucket.end))" : " was cut by the range's end"
            return which + how + ": its values hold only part of it"
        }
        return notes.isEmpty ? nil : notes.joined(separator: "; ")
    }
}

/// Rows of cells as text columns for people: two spaces apart, each padded to its widest cell in terminal columns
/// (East Asian wide characters count two, combining marks none), left-aligned unless `rightAligned` says otherwise
/// for that column; every line ends in a newline, without trailing spaces. Line breaks and tabs in a cell show as
/// `\n`, `\r`, `\t`, other control characters as `\xHH`, so a label value cannot move the cursor or recolour the
/// terminal.
public func alignedColumns(_ rows: [[String]], rightAligned: [Bool] = []) -> String {
    let rows = rows.map { $0.map(TableText.cell) }
    let cellWidths = rows.map { $0.map(TableText.width) }
    var widths: [Int] = []
    for row in cellWidths {
        for (c, width) in row.enumerated() {
            if c == widths.count { widths.append(width) } else { widths[c] = Swift.max(widths[c], width) }
        }
    }
    var text = ""
    for (cells, cellWidths) in zip(rows, cellWidths) {
        var line = ""
        for (c, cell) in cells.enumerated() {
            if c > 0 { line += "  " }
            let pad = String(repeating: " ", count: widths[c] - cellWidths[c])
            line += c < rightAligned.count && rightAligned[c] ? pad + cell : cell + pad
        }
        while line.hasSuffix(" ") { line.removeLast() }
        text += line + "\n"
    }
    return text
}

enum TableText {
    /// The columns `s` takes in a terminal: two for East Asian wide and fullwidth characters (CJK, Hangul, kana,
    /// fullwidth forms, most emoji), none for combining marks and format characters, one for the rest.
    static func width(_ s: String) -> Int {
        var total = 0
        for scalar in s.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .format: continue
            default: total += isWide(scalar.value) ? 2 : 1
            }
        }
        return total
    }

    /// East Asian Width W or F (Unicode 15.1, UAX #11), in the ranges that hold nearly all of them.
    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3, 0x25FD...0x25FE,
             0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB, 0x26BD...0x26BE,
             0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705,
             0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757, 0x2795...0x2797, 0x27B0, 0x27BF,
             0x2B1B...0x2B1C, 0x2B50, 0x2B55, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x18CFF, 0x1B000...0x1B2FF, 0x1F004, 0x1F0CF, 0x1F18E,
             0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F320, 0x1F32D...0x1F335, 0x1F337...0x1F37C,
             0x1F37E...0x1F393, 0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4, 0x1F3F8...0x1F43E,
             0x1F440, 0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A,
             0x1F595...0x1F596, 0x1F5A4, 0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC, 0x1F6D0...0x1F6D2,
             0x1F6D5...0x1F6D7, 0x1F6DC...0x1F6DF, 0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7EB, 0x1F7F0,
             0x1F90C...0x1F93A, 0x1F93C...0x1F945, 0x1F947...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD,
             0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    static func cell(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // Other control characters (ESC starts a terminal escape sequence) are shown as `\xHH`, not sent.
            case _ where c.value < 0x20 || (0x7F...0x9F).contains(c.value):
                let hex = String(c.value, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
