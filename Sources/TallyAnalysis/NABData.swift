/// Pure parsers for the NAB corpus files (the caller reads the files).
public enum NABData {
    /// Parses NAB's local-naive `YYYY-MM-DD HH:MM:SS[.ffffff]` timestamp as UTC epoch milliseconds.
    public static func parseTimestamp<S: StringProtocol>(_ s: S) -> Int64? {
        let u = Array(s.utf8)
        guard u.count >= 19 else { return nil }
        func num(_ a: Int, _ b: Int) -> Int? {
            var v = 0
            for k in a..<b {
                let c = u[k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13), let mi = num(14, 16),
              let sec = num(17, 19), (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var ms = 0
        if u.count > 20 && u[19] == 46 {  // ".ffffff"
            var frac = 0, digits = 0
            for k in 20..<u.count where digits < 3 {
                guard u[k] >= 48 && u[k] <= 57 else { break }
                frac = frac * 10 + Int(u[k] - 48)
                digits += 1
            }
            while digits < 3 { frac *= 10; digits += 1 }
            ms = frac
        }
        let days = daysFromCivil(y, mo, d)
        return (Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + sec)) * 1000 + Int64(ms)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Row ranges of windows given by timestamps; a window whose start or end is not a row timestamp is matched
    /// to the first row at or after its start and the last row at or before its end.
    public static func windowRows(times: [Int64], windows: [(start: Int64, end: Int64)]) -> [ClosedRange<Int>] {
        func lowerBound(_ x: Int64) -> Int {
            var lo = 0, hi = times.count
            while lo < hi { let m = (lo + hi) / 2; if times[m] < x { lo = m + 1 } else { hi = m } }
            return lo
        }
        var out: [ClosedRange<Int>] = []
        for w in windows {
            let a = lowerBound(w.start)
            var b = lowerBound(w.end)
            if b >= times.count || times[b] != w.end { b -= 1 }
            if a <= b && a < times.count { out.append(a...b) }
        }
        return out
    }

    /// Parses a NAB CSV (`timestamp,value[,anomaly_score,label…]` with a header row) into the timestamp column
    /// and the numeric columns after it.
    public static func parseCSV(_ text: String) -> (times: [Int64], columns: [[Double]]) {
        var times: [Int64] = []
        var columns: [[Double]] = []
        var first = true
        for line in text.split(whereSeparator: { $0.isNewline }) {
            if first { first = false; continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 2, let t = parseTimestamp(fields[0]) else { continue }
            if columns.isEmpty { columns = Array(repeating: [], count: fields.count - 1) }
            times.append(t)
            for c in 0..<columns.count {
                columns[c].append(c + 1 < fields.count ? Double(fields[c + 1].trimmingSpaces) ?? .nan : .nan)
            }
        }
        return (times, columns)
    }

    /// Parses `labels/combined_windows.json`: file name → windows as (start, end) epoch milliseconds.
    /// A minimal parser for that file's shape (an object of arrays of two-string arrays).
    public static func parseWindows(_ json: String) -> [String: [(start: Int64, end: Int64)]] {
        var out: [String: [(Int64, Int64)]] = [:]
        var depth = 0
        var currentKey: String? = nil
        var pending: [String] = []
        var i = json.startIndex
        while i < json.endIndex {
            let c = json[i]
            if c == "\"" {
                var j = json.index(after: i)
                var s = ""
                while j < json.endIndex && json[j] != "\"" {
                    if json[j] == "\\" { j = json.index(after: j) }
                    s.append(json[j])
                    j = json.index(after: j)
                }
                if depth == 1 { currentKey = s; out[s] = [] } else if depth == 3 { pending.append(s) }
                i = json.index(after: j)
                continue
            }
            if c == "{" || c == "[" { depth += 1 }
            if c == "}" || c == "]" {
                if depth == 3, let key = currentKey, pending.count == 2,
                   let a = parseTimestamp(pending[0]), let b = parseTimestamp(pending[1]) {
                    out[key, default: []].append((a, b))
                }
                if depth == 3 { pending.removeAll() }
                depth -= 1
            }
            i = json.index(after: i)
        }
        return out
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
