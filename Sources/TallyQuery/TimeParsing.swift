import TallyStorage

/// Reading and writing time literals.
///
/// Accepted forms (all read as UTC unless an offset is given):
/// - `2024-05-01` — midnight UTC of that day;
/// - `2024-05-01T06:00`, `2024-05-01T06:00:00`, `2024-05-01T06:00:00.123` — UTC;
/// - any of those with `Z`, or with an offset `+02:00`, `-0530`;
/// - fractional seconds of any length, truncated to milliseconds;
/// - years outside `0000` to `9999` as `TimeText` writes them (ISO 8601 expanded years): `-0044-03-15`,
///   `+10000-01-01T00:00:00Z`, so that every time Tally prints reads back.
public enum TimeLiteral {
    /// Parses a time literal into epoch milliseconds (UTC).
    ///
    /// - Throws: `QueryError` (kind `.syntax`) pointing at the offending component, e.g. the month in `2024-13-01`.
    public static func parse(_ text: String) throws(QueryError) -> Int64 {
        let scalars = Array(text.unicodeScalars)
        switch scan(scalars, from: 0) {
        case .success(let (t, end)) where end == scalars.count:
            return t
        case .success(let (_, end)):
            throw QueryError(.syntax, "unexpected text after the time", at: span(end))
        case .failure(let e):
            throw QueryError(.syntax, e.message, at: span(e.offset))
        }
    }

    /// Formats epoch milliseconds as ISO 8601 UTC: `2024-05-01T06:00:00Z`, `2024-05-01T06:00:00.250Z`,
    /// `+10000-01-01T00:00:00Z`; ``parse(_:)`` reads every such text back.
    public static func format(_ milliseconds: Int64) -> String { TimeText.format(milliseconds) }

    private static func span(_ offset: Int) -> SourceSpan {
        SourceSpan(start: SourcePosition(offset: offset, line: 1, column: offset + 1),
                   end: SourcePosition(offset: offset + 1, line: 1, column: offset + 2))
    }

    /// Whether a time literal starts at `i`: four digits, a dash and a digit (`2024-05-01`); or a year's sign
    /// directly followed by digits, a dash and a digit (`-0044-03-15`, `+10000-01-01`, and `+999-01-01`, which is
    /// then an error about its year). A `+` or `-` meant as an operator is followed by a duration (`now-7d`) or a
    /// number (`> -3`), which never have that form.
    public static func startsLiteral(_ s: [Unicode.Scalar], at i: Int) -> Bool {
        guard i < s.count else { return false }
        if s[i] == "+" || s[i] == "-" {
            var j = i + 1
            while j < s.count, QueryDuration.digitValue(s[j]) != nil { j += 1 }
            return j > i + 1 && j + 1 < s.count && s[j] == "-" && QueryDuration.digitValue(s[j + 1]) != nil
        }
        guard i + 5 < s.count else { return false }
        for k in 0..<4 where QueryDuration.digitValue(s[i + k]) == nil { return false }
        return s[i + 4] == "-" && QueryDuration.digitValue(s[i + 5]) != nil
    }

    typealias ScanError = QueryDuration.ScanError

    /// Scans a time literal at `start`; returns the time and the offset just past the literal.
    static func scan(_ s: [Unicode.Scalar], from start: Int) -> Result<(Int64, Int), ScanError> {
        var i = start

        func number(_ width: Int, _ what: String) -> Result<Int, ScanError> {
            var v = 0
            for k in 0..<width {
                guard i + k < s.count, let d = QueryDuration.digitValue(s[i + k]) else {
                    return .failure(ScanError(offset: i, message: "expected a \(width)-digit \(what)"))
                }
                v = v * 10 + d
            }
            if i + width < s.count, QueryDuration.digitValue(s[i + width]) != nil {
                return .failure(ScanError(offset: i, message: "expected a \(width)-digit \(what)"))
            }
            i += width
            return .success(v)
        }
        func expect(_ c: Unicode.Scalar, _ what: String) -> ScanError? {
            guard i < s.count, s[i] == c else { return ScanError(offset: i, message: "expected `\(c)` \(what)") }
            i += 1
            return nil
        }

        var f = CivilTime.Fields(year: 0, month: 1, day: 1)
        switch TimeText.scanYear(s.lazy.map(\.value), from: i) {
        case .success(let (year, end)): f.year = year; i = end
        case .failure(let e): return .failure(ScanError(offset: start, message: yearMessage(e, s, from: start)))
        }
        if let e = expect("-", "after the year") { return .failure(e) }
        let monthAt = i
        switch number(2, "month") { case .success(let v): f.month = v; case .failure(let e): return .failure(e) }
        guard (1...12).contains(f.month) else {
            return .failure(ScanError(offset: monthAt, message: "month \(f.month) is out of range (01-12)"))
        }
        if let e = expect("-", "after the month") { return .failure(e) }
        let dayAt = i
        switch number(2, "day") { case .success(let v): f.day = v; case .failure(let e): return .failure(e) }
        let monthLength = CivilCalendar.daysInMonth(year: f.year, month: f.month)
        guard f.day >= 1, f.day <= monthLength else {
            let why = f.month == 2 && f.day == 29 ? " (\(TimeText.yearText(f.year)) is not a leap year)" : ""
            let month = "\(TimeText.yearText(f.year))-\(f.month < 10 ? "0" : "")\(f.month)"
            return .failure(ScanError(offset: dayAt, message: "day \(f.day) is out of range for \(month), which has \(monthLength) days\(why)"))
        }

        var offsetMinutes = 0
        if i < s.count, s[i] == "T" || s[i] == "t" {
            i += 1
            let hourAt = i
            switch number(2, "hour") { case .success(let v): f.hour = v; case .failure(let e): return .failure(e) }
            guard f.hour <= 23 else { return .failure(ScanError(offset: hourAt, message: "hour \(f.hour) is out of range (00-23)")) }
            if let e = expect(":", "between hours and minutes") { return .failure(e) }
            let minuteAt = i
            switch number(2, "minute") { case .success(let v): f.minute = v; case .failure(let e): return .failure(e) }
            guard f.minute <= 59 else { return .failure(ScanError(offset: minuteAt, message: "minute \(f.minute) is out of range (00-59)")) }
            if i < s.count, s[i] == ":" {
                i += 1
                let secondAt = i
                switch number(2, "second") { case .success(let v): f.second = v; case .failure(let e): return .failure(e) }
                guard f.second <= 59 else {
                    return .failure(ScanError(offset: secondAt, message: "second \(f.second) is out of range (00-59; leap seconds are not supported)"))
                }
                if i < s.count, s[i] == "." || s[i] == "," {
                    i += 1
                    let fractionAt = i
                    var ms = 0, digits = 0
                    while i < s.count, let d = QueryDuration.digitValue(s[i]) {
                        if digits < 3 { ms = ms * 10 + d }
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return .failure(ScanError(offset: fractionAt, message: "expected digits after the decimal point")) }
                    while digits < 3 { ms *= 10; digits += 1 }
                    f.millisecond = ms
                }
            }
            if i < s.count, s[i] == "Z" || s[i] == "z" {
                i += 1
            } else if i < s.count, s[i] == "+" || s[i] == "-", isOffset(s, at: i + 1) {
                let sign = s[i] == "-" ? -1 : 1
                i += 1
                let offsetAt = i
                let hh = Int(s[i].value - 48) * 10 + Int(s[i + 1].value - 48)
                i += 2
                if s[i] == ":" { i += 1 }
                let mm = Int(s[i].value - 48) * 10 + Int(s[i + 1].value - 48)
                i += 2
                guard hh <= 23, mm <= 59 else {
                    return .failure(ScanError(offset: offsetAt, message: "UTC offset \(hh):\(mm) is out of range"))
                }
                offsetMinutes = sign * (hh * 60 + mm)
            }
        }
        if i < s.count, QueryDuration.isLetter(s[i]) || QueryDuration.digitValue(s[i]) != nil || s[i] == "_" {
            let what = s[i] == "T" || s[i] == "t" ? "a time of day (HH:MM) after `T`" : "the end of the time"
            return .failure(ScanError(offset: i, message: "expected \(what), found `\(s[i])`"))
        }
        guard let t = TimeText.millis(year: f.year, month: f.month, day: f.day, hour: f.hour, minute: f.minute,
                                      second: f.second, millisecond: f.millisecond, offsetMinutes: offsetMinutes) else {
            return .failure(ScanError(offset: start, message: "the time is out of range: times run from "
                                      + "\(TimeText.format(.min)) to \(TimeText.format(.max))"))
        }
        return .success((t, i))
    }

    /// What is wrong with the year at `start` (its sign and the digits after it), for people, with the spelling
    /// `TimeText` writes for that year when there is one.
    private static func yearMessage(_ error: TimeText.YearError, _ s: [Unicode.Scalar], from start: Int) -> String {
        let sign: Unicode.Scalar? = start < s.count && (s[start] == "+" || s[start] == "-") ? s[start] : nil
        var end = sign == nil ? start : start + 1
        while end < s.count, QueryDuration.digitValue(s[end]) != nil { end += 1 }
        let written = "`" + String(String.UnicodeScalarView(s[start..<end])) + "`"
        let digits = s[(sign == nil ? start : start + 1)..<end].drop { $0 == "0" }
        var write = ""   // the spelling to suggest, when the digits fit a year
        if digits.count <= TimeText.maxYearDigits {
            let value = digits.reduce(Int64(0)) { $0 * 10 + Int64($1.value - 48) }
            write = "; write `\(TimeText.yearText(sign == "-" ? -value : value))`"
        }
        switch error {
        case .missing:
            return sign.map { "expected the digits of a year after `\($0)`" } ?? "expected a 4-digit year"
        case .notFourDigits:
            guard end - start > 4 else { return "expected a 4-digit year" }
            let why = digits.count > 4 ? "; a year after 9999 is written with `+`" : ""
            return "expected a 4-digit year, found \(written)\(why)\(write)"
        case .tooShortAfterPlus:
            return "year \(written) has too few digits: a year after `+` has at least 5 (ISO 8601's expanded years, "
                + "for years after 9999)\(write)"
        case .tooShortAfterMinus:
            return "year \(written) has too few digits: a year after `-` has at least 4\(write)"
        case .leadingZero:
            return "year \(written) has a leading zero: a year of more than 4 digits starts with 1 to 9\(write)"
        case .tooManyDigits:
            return "year \(written) has more than \(TimeText.maxYearDigits) digits: times run from "
                + "\(TimeText.format(.min)) to \(TimeText.format(.max))"
        case .minusZero:
            return "year \(written) is written `0000`, without a sign"
        }
    }

    /// Whether `HH:MM` or `HHMM` (not followed by another letter or digit) starts at `i`.
    private static func isOffset(_ s: [Unicode.Scalar], at i: Int) -> Bool {
        func digit(_ k: Int) -> Bool { k < s.count && QueryDuration.digitValue(s[k]) != nil }
        func ends(_ k: Int) -> Bool { k >= s.count || !(QueryDuration.isLetter(s[k]) || digit(k)) }
        guard digit(i), digit(i + 1) else { return false }
        if i + 2 < s.count, s[i + 2] == ":" { return digit(i + 3) && digit(i + 4) && ends(i + 5) }
        return digit(i + 2) && digit(i + 3) && ends(i + 4)
    }
}

/// A time given as text (an option or a parameter): epoch milliseconds, ISO 8601, `now`, `now-7d`, or a bare
/// duration meaning that long before `now`.
public func parseInstant(_ text: String, now: Int64) throws(QueryError) -> Int64 {
    if let ms = Int64(text) { return ms }
    if let duration = try? QueryDuration(parsing: text) { return duration.subtracted(from: now) }
    return try Parser.parseTime(text).resolve(now: now)
}
