#if canImport(Glibc)
import Glibc
#endif
import TallyStorage

/// Reads Tally's CSV point format into a write batch.
///
/// A header row names the columns: `time`, `metric` and `value` are required; an optional `outcome` column
/// makes check series (rows with an empty outcome are measurements); every other column is a label (an empty
/// cell: the series has no such label), and `label:NAME` is label NAME, also one named like a column (`label:time`). `time` is ISO 8601 with `Z` or an offset, or integer epoch
/// milliseconds; `value` is a number, `NaN`, `Infinity`, `-Infinity`, or empty (null). The whole input is
/// validated before anything is returned: the first problem is thrown with its file, line and column.
public enum CSVImport {
    /// The first row of a series: its outcome cell, or its first cell without an outcome column (byte column).
    struct Place: Sendable {
        var line: Int32
        var column: Int32
    }

    /// Column names read as columns, not labels (a label with such a name is written `label:NAME`).
    public static let reservedColumns: Set<String> = ["time", "metric", "value", "outcome"]

    /// Parses CSV bytes into a batch. An error's column counts characters (Unicode scalars) from the start of its
    /// line, as query errors do, not bytes.
    public static func parse(_ bytes: [UInt8], fileName: String, origin: BatchOrigin) throws(InputError) -> WriteBatch {
        try parseLocated(bytes, fileName: fileName, origin: origin).batch
    }

    /// ``parse(_:fileName:origin:)``, keeping where each series first appears, so that an error the store finds
    /// only while writing (a series the store holds as a check, written here as a measurement) can name the line.
    public static func parseLocated(_ bytes: [UInt8], fileName: String, origin: BatchOrigin) throws(InputError) -> ParsedFile {
        try bytes.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(InputError) -> ParsedFile in
            do throws(InputError) {
                var places: [Place] = []
                let batch = try parseRows(buffer, fileName: fileName, origin: origin, places: &places)
                let found = places
                return ParsedFile(batch: batch, fileName: fileName, place: { index in
                    guard index < found.count else { return nil }
                    let place = found[index]
                    // The reader counts byte columns; only an error pays for characters.
                    let column = bytes.withUnsafeBufferPointer {
                        CSVParser.characterColumn(in: $0, line: Int(place.line), byteColumn: Int(place.column))
                    }
                    return (Int(place.line), column, nil)
                })
            } catch {
                // The reader counts byte columns (cheap on every field); only an error pays for characters.
                var error = error
                if let line = error.line, let column = error.column {
                    error.column = CSVParser.characterColumn(in: buffer, line: line, byteColumn: column)
                }
                throw error
            }
        }
    }

    /// The parse, with byte columns in its errors and in `places` (the first row of each series: its outcome cell,
    /// or its first cell without an outcome column).
    private static func parseRows(_ data: UnsafeBufferPointer<UInt8>, fileName: String, origin: BatchOrigin,
                                  places: inout [Place]) throws(InputError) -> WriteBatch {
        var parser = CSVParser(data, fileName: fileName)
        var fields: [CSVField] = []
        guard try parser.nextRow(into: &fields) else {
            throw InputError(file: fileName, line: 1, message: "the file is empty: expected a header row with time, metric and value")
        }
        var names: [String] = []
        var seenNames = Set<String>()
        var labelSpellings: [String: String] = [:]   // label name → how the header first wrote it
        var timeColumn = -1, metricColumn = -1, valueColumn = -1, outcomeColumn = -1
        var labelColumns: [(index: Int, name: String)] = []
        for (i, field) in fields.enumerated() {
            let name = String(decoding: field.bytes, as: UTF8.self).trimmingSpaces()
            // A set, not a search of the names so far: a header of a million columns is checked in linear time.
            if !seenNames.insert(name).inserted {
                throw InputError(file: fileName, line: field.line, column: field.column, field: name,
                                      message: "the column appears twice in the header")
            }
            names.append(name)
            switch name {
            case "time": timeColumn = i
            case "metric": metricColumn = i
            case "value": valueColumn = i
            case "outcome": outcomeColumn = i
            default:
                // `label:time` is a label named like a column, as `tally export` writes it.
                let label = name.hasPrefix("label:") ? String(name.dropFirst(6)) : name
                guard isValidName(label) else {
                    throw InputError(file: fileName, line: field.line, column: field.column, field: name,
                                          message: "not a valid label name: expected [A-Za-z_][A-Za-z0-9_.]*")
                }
                guard label != metricNameLabel else {
                    throw InputError(file: fileName, line: field.line, column: field.column, field: name,
                                     message: metricNameLabelReserved)
                }
                if let first = labelSpellings[label] {
                    throw InputError(file: fileName, line: field.line, column: field.column, field: name,
                                     message: "label \(label) appears twice in the header (as \(first) and \(name))")
                }
                labelSpellings[label] = name
                labelColumns.append((i, label))
            }
        }
        for (required, index) in [("time", timeColumn), ("metric", metricColumn), ("value", valueColumn)] where index < 0 {
            throw InputError(file: fileName, line: 1, field: required,
                                  message: "the header has no \(required) column (it has: \(names.joined(separator: ", ")))")
        }
        var batch = WriteBatch(origin: origin)
        batch.reserveCapacity(points: max(16, data.count / 40))
        var seriesByRowKey: [[UInt8]: Int] = [:]
        var rowKey: [UInt8] = []
        var number = [CChar](repeating: 0, count: 64)
        while try parser.nextRow(into: &fields) {
            let first = fields[0]
            guard fields.count == names.count else {
                throw InputError(file: fileName, line: first.line, column: first.column,
                                      message: "expected \(names.count) fields as in the header, found \(fields.count)")
            }
            let timeField = fields[timeColumn]
            guard let time = parseTime(timeField.bytes) else {
                throw InputError(file: fileName, line: timeField.line, column: timeField.column, field: "time",
                    message: "expected an ISO 8601 time with Z or an offset (2024-05-01T06:00:00Z) or integer epoch milliseconds, found \(quoted(timeField.bytes))"
                        + CSVImport.timeProblem(String(decoding: timeField.bytes, as: UTF8.self)))
            }
            guard time <= WriteBatch.latestTime else {
                throw InputError(file: fileName, line: timeField.line, column: timeField.column, field: "time",
                    message: "\(quoted(timeField.bytes)) is past the latest time a point can have, "
                        + TimeText.format(WriteBatch.latestTime))
            }
            let valueField = fields[valueColumn]
            let value: Double
            switch parseValue(valueField.bytes, scratch: &number) {
            case .value(let v):
                value = v
            case .tooLarge:
                throw InputError(file: fileName, line: valueField.line, column: valueField.column, field: "value",
                    message: "\(quoted(valueField.bytes)) is beyond the largest number a value can be "
                        + "(±1.7976931348623157e308); write Infinity or -Infinity for an infinite value")
            case .notANumber:
                throw InputError(file: fileName, line: valueField.line, column: valueField.column, field: "value",
                    message: "expected a number, NaN, Infinity or an empty cell (null), found \(quoted(valueField.bytes))")
            }
            var outcome: Outcome?
            if outcomeColumn >= 0 {
                let f = fields[outcomeColumn]
                if !f.bytes.isEmpty {
                    guard let o = Outcome(text: String(decoding: f.bytes, as: UTF8.self)) else {
                        throw InputError(file: fileName, line: f.line, column: f.column, field: "outcome",
                            message: "expected pass, warn, fail, error, not_evaluated or an empty cell, found \(quoted(f.bytes))")
                    }
                    outcome = o
                }
            }
            // Find the series by the raw bytes of its metric and label cells.
            rowKey.removeAll(keepingCapacity: true)
            rowKey.append(outcome == nil ? 0 : 1)
            rowKey.append(contentsOf: fields[metricColumn].bytes)
            for (index, _) in labelColumns {
                rowKey.append(0xFF)
                rowKey.append(contentsOf: fields[index].bytes)
            }
            let seriesIndex: Int
            if let known = seriesByRowKey[rowKey] {
                seriesIndex = known
            } else {
                let metricField = fields[metricColumn]
                let metric = String(decoding: metricField.bytes, as: UTF8.self)
                guard isValidName(metric) else {
                    throw InputError(file: fileName, line: metricField.line, column: metricField.column, field: "metric",
                                          message: "not a valid metric name: expected [A-Za-z_][A-Za-z0-9_.]*, found \(quoted(metricField.bytes))")
                }
                var labels: [Label] = []
                for (index, name) in labelColumns where !fields[index].bytes.isEmpty {
                    let cell = fields[index]
                    labels.append(Label(name, try labelValue(cell, name: name, fileName: fileName)))
                }
                let key = SeriesKey(metric: metric, labels: labels)
                let kind: SeriesKind = outcome == nil ? .measurement : .check
                let before = batch.series.count
                seriesIndex = batch.addSeries(key, kind: kind)
                // Cells spelled differently can name a series already seen (Unicode strings compare by canonical
                // equivalence: `é` and `e` with a combining accent are one label value); only a kind that differs
                // is an error.
                if seriesIndex < before && batch.series[seriesIndex].kind != kind {
                    throw InputError(file: fileName, line: first.line, column: first.column, field: "outcome",
                        message: "series \(key) has rows with and without an outcome: a series is either a measurement or a check")
                }
                seriesByRowKey[rowKey] = seriesIndex
                if seriesIndex == places.count {
                    let cell = outcomeColumn >= 0 ? fields[outcomeColumn] : first
                    places.append(Place(line: Int32(truncatingIfNeeded: cell.line),
                                                  column: Int32(truncatingIfNeeded: cell.column)))
                }
            }
            batch.append(series: seriesIndex, time: time, columnValue: value, outcomeCode: outcome?.rawValue ?? 0)
        }
        // A header alone is no data: a batch of nothing would only be listed among the batches.
        if batch.pointCount == 0 {
            throw InputError(file: fileName, line: 1, message: "the file has only its header, no rows: there are no points to ingest")
        }
        // Two rows of one series at one time: which value the file means cannot be told.
        if let repeated = batch.firstRepeatedPoint() {
            // Each data row is one point: the rows are found again by their number (only on this error).
            var again = CSVParser(data, fileName: fileName)
            var row = -1
            var earlierLine = 0
            while try again.nextRow(into: &fields) {
                if row == repeated.earlier { earlierLine = fields[timeColumn].line }
                if row == repeated.later {
                    let cell = fields[timeColumn]
                    throw InputError(file: fileName, line: cell.line, column: cell.column, field: "time",
                        message: batch.repeatedPointMessage(repeated, earlierPlace: "on line \(earlierLine)"))
                }
                row += 1
            }
        }
        return batch
    }

    /// A label cell's text: valid UTF-8 without NUL characters (the catalog keeps label values as C strings, and
    /// replacing bad bytes would make different cells one series).
    private static func labelValue(_ cell: CSVField, name: String, fileName: String) throws(InputError) -> String {
        if let offset = firstInvalidUTF8Offset(cell.bytes) {
            let byte = cell.bytes[cell.bytes.startIndex + offset]
            throw InputError(file: fileName, line: cell.line, column: cell.column, field: name,
                message: "the label value is not valid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)) "
                    + "at byte \(offset + 1) of the cell): save the file as UTF-8")
        }
        if let offset = cell.bytes.firstIndex(of: 0) {
            throw InputError(file: fileName, line: cell.line, column: cell.column, field: name,
                message: "the label value has a NUL character (at byte \(offset - cell.bytes.startIndex + 1) of the cell)")
        }
        return String(decoding: cell.bytes, as: UTF8.self)
    }

    /// The offset of the first byte that is not part of valid UTF-8, or nil when all of `bytes` is valid.
    static func firstInvalidUTF8Offset(_ bytes: ArraySlice<UInt8>) -> Int? {
        // ASCII, the usual case, needs no decoder.
        guard bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// What is wrong with a time that looks well formed (`2024-02-30T06:00:00Z`: `: day 30 is out of range for
    /// 2024-02, which has 29 days`), as the query language says it; empty when there is nothing more to say.
    static func timeProblem(_ text: String) -> String {
        do throws(QueryError) {
            _ = try TimeLiteral.parse(text)
            return ""
        } catch {
            // Only for text that starts as a date: for other text the expected forms say it all.
            guard TimeLiteral.startsLiteral(Array(text.unicodeScalars), at: 0) else { return "" }
            return ": " + error.message
        }
    }

    /// Integer epoch milliseconds or ISO 8601 (finer than milliseconds is truncated).
    static func parseTime(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var isInteger = true
        for (k, c) in bytes.enumerated() where !(c >= 0x30 && c <= 0x39) && !(k == 0 && c == 0x2D) { isInteger = false; break }
        if isInteger { return Int64(String(decoding: bytes, as: UTF8.self)) }
        return bytes.withUnsafeBufferPointer { TimeText.parse(bytes: $0) }
    }

    /// What a value cell holds, read once.
    enum ParsedValue: Equatable {
        /// A value in column form (the null marker for an empty cell).
        case value(Double)
        /// A number written with digits that is too large for a Double (`1e400`): refused, not stored as infinity.
        case tooLarge
        /// Neither a number, `NaN`, `Infinity` nor empty.
        case notANumber
    }

    /// Reads a value cell: a plain decimal number (digits, sign, point, exponent), `NaN`, `Infinity`/`inf` with or
    /// without a sign (any case), or empty for null.
    static func parseValue(_ bytes: ArraySlice<UInt8>, scratch: inout [CChar]) -> ParsedValue {
        if bytes.isEmpty { return .value(columnValue(nil)) }
        switch String(decoding: bytes, as: UTF8.self).lowercased() {
        case "nan": return .value(.nan)
        case "infinity", "inf", "+infinity", "+inf": return .value(.infinity)
        case "-infinity", "-inf": return .value(-.infinity)
        default: break
        }
        // Plain decimal numbers only: digits, sign, point, exponent. (So an infinite result is a number too large,
        // never a spelling of infinity.)
        for c in bytes {
            let ok = (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2D || c == 0x2E || c == 0x65 || c == 0x45
            if !ok { return .notANumber }
        }
        let number: Double?
        if bytes.count < scratch.count {
            for (k, c) in bytes.enumerated() { scratch[k] = CChar(bitPattern: c) }
            scratch[bytes.count] = 0
            number = scratch.withUnsafeBufferPointer { p -> Double? in
                var end: UnsafeMutablePointer<CChar>?
                let v = strtod(p.baseAddress!, &end)
                guard let end, end - UnsafeMutablePointer(mutating: p.baseAddress!) == bytes.count else { return nil }
                return v
            }
        } else {
            number = Double(String(decoding: bytes, as: UTF8.self))
        }
        guard let number else { return .notANumber }
        return number.isFinite ? .value(number) : .tooLarge
    }

    private static func quoted(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes.prefix(60), as: UTF8.self)
        return quoteLabelValue(text) + (bytes.count > 60 ? "…" : "")
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
