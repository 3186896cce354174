/// One field of a CSV row: where it starts (1-based line and byte column; errors turn it into a character column)
/// and its bytes (unquoted).
struct CSVField {
    var line: Int
    var column: Int
    var bytes: ArraySlice<UInt8>
}

/// An RFC 4180 reader over bytes: comma-separated fields, `"` quoting with `""` escapes, quoted fields may
/// span lines, LF, CRLF or CR line ends. It hands out one row at a time, reusing its buffers.
struct CSVParser {
    private let data: UnsafeBufferPointer<UInt8>
    private let fileName: String
    private var position = 0
    private var line = 1
    private var lineStart = 0
    private var unquoted: [UInt8] = []

    init(_ data: UnsafeBufferPointer<UInt8>, fileName: String) {
        self.data = data
        self.fileName = fileName
        // Skip a UTF-8 byte order mark.
        if data.count >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF { position = 3; lineStart = 3 }
    }

    var isAtEnd: Bool { position >= data.count }

    /// The character column (counting Unicode scalars, 1-based) of byte column `byteColumn` on line `line`, with
    /// lines counted as the reader counts them (LF, CRLF or a lone CR, also inside quoted fields; a byte order
    /// mark is not part of line 1). For error messages only: it reads the input from its start.
    static func characterColumn(in data: UnsafeBufferPointer<UInt8>, line: Int, byteColumn: Int) -> Int {
        var start = data.count >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF ? 3 : 0
        var current = 1, i = start
        while current < line && i < data.count {
            let c = data[i]
            i += 1
            if c == 0x0A || (c == 0x0D && !(i < data.count && data[i] == 0x0A)) {
                current += 1
                start = i
            }
        }
        guard current == line else { return byteColumn }
        let end = Swift.min(data.count, start + Swift.max(0, byteColumn - 1))
        var scalars = 0
        for j in start..<end where data[j] & 0xC0 != 0x80 { scalars += 1 }   // UTF-8 lead and ASCII bytes
        return scalars + 1 + Swift.max(0, start + byteColumn - 1 - end)
    }

    private func isLineFeed(_ index: Int) -> Bool { index < data.count && data[index] == 0x0A }

    /// The line the next row starts on.
    var currentLine: Int { line }

    /// Reads the next row's fields into `fields`; false at the end of the input. Blank lines are skipped.
    mutating func nextRow(into fields: inout [CSVField]) throws(InputError) -> Bool {
        fields.removeAll(keepingCapacity: true)
        // Skip blank lines.
        while position < data.count && (data[position] == 0x0A || data[position] == 0x0D) {
            if data[position] == 0x0A || !isLineFeed(position + 1) { line += 1; lineStart = position + 1 }
            position += 1
        }
        if position >= data.count { return false }
        unquoted.removeAll(keepingCapacity: true)
        var spans: [(Int, Int, Int, Int)] = []  // start, end in `unquoted`, line, column
        while true {
            let fieldLine = line
            let fieldColumn = position - lineStart + 1
            let start = unquoted.count
            if position < data.count && data[position] == 0x22 {
                position += 1
                var closed = false
                while position < data.count {
                    let c = data[position]
                    if c == 0x22 {
                        if position + 1 < data.count && data[position + 1] == 0x22 {
                            unquoted.append(0x22)
                            position += 2
                            continue
                        }
                        position += 1
                        closed = true
                        break
                    }
                    // A lone CR ends a line here too, as between rows.
                    if c == 0x0A || (c == 0x0D && !isLineFeed(position + 1)) { line += 1; lineStart = position + 1 }
                    unquoted.append(c)
                    position += 1
                }
                guard closed else {
                    throw InputError(file: fileName, line: fieldLine, column: fieldColumn,
                                          message: "quoted field is never closed")
                }
                if position < data.count && data[position] != 0x2C && data[position] != 0x0A && data[position] != 0x0D {
                    throw InputError(file: fileName, line: line, column: position - lineStart + 1,
                                          message: "expected a comma or the end of the line after a closing quote")
                }
            } else {
                while position < data.count {
                    let c = data[position]
                    if c == 0x2C || c == 0x0A || c == 0x0D { break }
                    if c == 0x22 {
                        throw InputError(file: fileName, line: line, column: position - lineStart + 1,
                                              message: "a quote inside an unquoted field (quote the whole field and double the quote)")
                    }
                    unquoted.append(c)
                    position += 1
                }
            }
            spans.append((start, unquoted.count, fieldLine, fieldColumn))
            if position < data.count && data[position] == 0x2C {
                position += 1
                continue
            }
            // End of row: CRLF, LF, a lone CR (a line of its own, as editors show it) or end of input.
            if position < data.count && data[position] == 0x0D {
                position += 1
                if !isLineFeed(position) {
                    line += 1
                    lineStart = position
                }
            }
            if position < data.count && data[position] == 0x0A {
                position += 1
                line += 1
                lineStart = position
            }
            break
        }
        for (start, end, l, c) in spans { fields.append(CSVField(line: l, column: c, bytes: unquoted[start..<end])) }
        return true
    }
}
