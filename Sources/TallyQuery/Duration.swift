import TallyStorage

/// A length of time in the query language: `90m`, `30d`, `2w`, `1mo`, `1y`, or compounds such as `1h30m`.
///
/// Units: `ms` milliseconds, `s` seconds, `m` minutes, `h` hours, `d` days (24 h), `w` weeks (7 d),
/// `mo` calendar months and `y` calendar years (12 calendar months). A duration keeps its calendar part
/// (`months`) apart from its fixed part (`milliseconds`), because a month has no fixed length:
/// `2024-03-31 - 1mo` is `2024-02-29`.
public struct QueryDuration: Sendable, Hashable, CustomStringConvertible {
    /// Calendar months (a year counts 12).
    public var months: Int64
    /// The fixed part, in milliseconds.
    public var milliseconds: Int64

    /// Creates a duration from its calendar and fixed parts.
    public init(months: Int64 = 0, milliseconds: Int64 = 0) {
        self.months = months
        self.milliseconds = milliseconds
    }

    /// The units the language knows, with their size.
    static let units: [(name: String, months: Int64, ms: Int64)] = [
        ("y", 12, 0), ("mo", 1, 0), ("w", 0, CivilTime.msPerWeek), ("d", 0, CivilTime.msPerDay),
        ("h", 0, CivilTime.msPerHour), ("m", 0, CivilTime.msPerMinute), ("s", 0, CivilTime.msPerSecond),
        ("ms", 0, 1),
    ]
    static let unitList = "ms, s, m, h, d, w, mo, y"
    /// How a fractional duration (`1.5d` at `point`) is written whole: in the largest smaller unit it fills
    /// (`36h`), or why it cannot be.
    static func wholeSpelling(_ s: [Unicode.Scalar], numberStart: Int, point: Int) -> String {
        var end = point + 1
        while end < s.count, digitValue(s[end]) != nil { end += 1 }
        var unitEnd = end
        while unitEnd < s.count, s[unitEnd].properties.isAlphabetic { unitEnd += 1 }
        let text = String(String.UnicodeScalarView(s[numberStart..<end]))
        let unit = String(String.UnicodeScalarView(s[end..<unitEnd]))
        let generic = "use a smaller unit, e.g. `90m` for 1.5h"
        guard let value = Double(text), let k = units.firstIndex(where: { $0.name == unit }) else { return generic }
        if units[k].months > 0 {
            let months = value * Double(units[k].months)
            return months == months.rounded() && unit == "y" ? "write `\(Int64(months))mo` for \(text)\(unit)"
                : "months have no fixed length: write whole months or years"
        }
        for smaller in units[(k + 1)...] where smaller.ms > 0 {
            let n = value * Double(units[k].ms) / Double(smaller.ms)
            if n == n.rounded() && n < 9e15 { return "write `\(Int64(n))\(smaller.name)` for \(text)\(unit)" }
        }
        return unit == "ms" ? "a millisecond is the smallest unit" : generic
    }

    /// The unit a word names: a unit itself, any case (`d`, `D`), or another spelling of one (`days`).
    static func unit(spelled word: String) -> String? {
        let lower = word.lowercased()
        return units.contains { $0.name == lower } ? lower : unitSpellings[lower]
    }

    /// Other spellings of the units, for the error that names the right one.
    static let unitSpellings: [String: String] = [
        "min": "m", "mins": "m", "minute": "m", "minutes": "m", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
        "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "day": "d", "days": "d", "wk": "w", "week": "w", "weeks": "w",
        "mon": "mo", "month": "mo", "months": "mo", "yr": "y", "yrs": "y", "year": "y", "years": "y", "msec": "ms",
        "millis": "ms",
    ]
    /// Durations are limited to ±10,000 years (arithmetic past the range of times stops at its ends: `added(to:)`).
    static let maxMonths: Int64 = 120_000
    static let maxMilliseconds: Int64 = 10_000 * 366 * CivilTime.msPerDay

    /// Parses a duration such as `90m`, `1h30m`, `2w` or `1mo`.
    ///
    /// - Throws: `QueryError` (kind `.syntax`) with the column of the offending character in `text`.
    public init(parsing text: String) throws(QueryError) {
        let scalars = Array(text.unicodeScalars)
        switch Self.scan(scalars, from: 0) {
        case .success(let (duration, end)) where end == scalars.count:
            self = duration
        case .success(let (_, end)):
            throw QueryError(.syntax, "expected a duration such as `7d`, found extra text", at: Self.span(end, end + 1))
        case .failure(let e):
            throw QueryError(.syntax, e.message, at: Self.span(e.offset, e.offset + 1))
        }
    }

    private static func span(_ a: Int, _ b: Int) -> SourceSpan {
        SourceSpan(start: SourcePosition(offset: a, line: 1, column: a + 1),
                   end: SourcePosition(offset: b, line: 1, column: b + 1))
    }

    struct ScanError: Error {
        var offset: Int
        var message: String
    }

    /// Scans a (possibly compound) duration starting at `start`, which must be a digit.
    /// Returns the duration and the offset just past it.
    static func scan(_ s: [Unicode.Scalar], from start: Int) -> Result<(QueryDuration, Int), ScanError> {
        var i = start
        var result = QueryDuration()
        repeat {
            let numberStart = i
            var n: Int64 = 0
            while i < s.count, let d = digitValue(s[i]) {
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(d))
                if o1 || o2 { return .failure(ScanError(offset: numberStart, message: "duration is too large")) }
                n = a
                i += 1
            }
            if i == numberStart {
                return .failure(ScanError(offset: i, message: "expected a number in the duration"))
            }
            if i < s.count, s[i] == "." {
                return .failure(ScanError(offset: i, message: "durations take whole numbers; "
                                          + wholeSpelling(s, numberStart: numberStart, point: i)))
            }
            let unitStart = i
            while i < s.count, isLetter(s[i]) { i += 1 }
            let unit = String(String.UnicodeScalarView(s[unitStart..<i]))
            if unit.isEmpty {
                return .failure(ScanError(offset: unitStart, message: "expected a duration unit (\(unitList)) after the number"))
            }
            guard let u = units.first(where: { $0.name == unit }) else {
                // A unit in capitals (`7D`) or spelt out (`days`): name the one meant.
                let hint = QueryDuration.unit(spelled: unit).map {
                    $0 == unit.lowercased() ? " (units are lowercase: `\($0)`)" : " (\(unit) is written `\($0)`)"
                } ?? ""
                return .failure(ScanError(offset: unitStart, message: "unknown duration unit `\(unit)`\(hint); expected one of \(unitList)"))
            }
            let (dm, o1) = n.multipliedReportingOverflow(by: u.months)
            let (dms, o2) = n.multipliedReportingOverflow(by: u.ms)
            if o1 || o2 { return .failure(ScanError(offset: numberStart, message: "duration is too large")) }
            result.months += dm
            result.milliseconds += dms
            if result.months > maxMonths || result.milliseconds > maxMilliseconds {
                return .failure(ScanError(offset: numberStart, message: "duration is too large (at most 10000y)"))
            }
        } while i < s.count && digitValue(s[i]) != nil
        return .success((result, i))
    }

    @inline(__always) static func digitValue(_ c: Unicode.Scalar) -> Int? {
        c.value >= 48 && c.value <= 57 ? Int(c.value - 48) : nil
    }

    @inline(__always) static func isLetter(_ c: Unicode.Scalar) -> Bool {
        (c.value >= 65 && c.value <= 90) || (c.value >= 97 && c.value <= 122)
    }

    /// Whether the duration is zero.
    public var isZero: Bool { months == 0 && milliseconds == 0 }

    /// `t + self`: the calendar months are added first (clamping the day of month), then the fixed part. A result
    /// past the range of `Int64` milliseconds (years −292,275,055 to +292,278,994) stops at its end.
    public func added(to t: Int64) -> Int64 {
        timeShift(CivilTime.addingMonths(months, to: t), by: milliseconds)
    }

    /// `t - self`: the calendar months are subtracted first (clamping the day of month), then the fixed part. A
    /// result past the range of `Int64` milliseconds stops at its end.
    public func subtracted(from t: Int64) -> Int64 {
        timeShift(CivilTime.addingMonths(-months, to: t), back: milliseconds)
    }

    /// The canonical text, largest units first (`1y2mo`, `1h30m`, `0s` for zero).
    public var description: String {
        if isZero { return "0s" }
        var s = ""
        var mo = months
        if mo / 12 != 0 { s += "\(mo / 12)y"; mo %= 12 }
        if mo != 0 { s += "\(mo)mo" }
        var ms = milliseconds
        for (name, size) in [("w", CivilTime.msPerWeek), ("d", CivilTime.msPerDay), ("h", CivilTime.msPerHour),
                             ("m", CivilTime.msPerMinute), ("s", CivilTime.msPerSecond), ("ms", 1)] where ms / size != 0 {
            s += "\(ms / size)\(name)"
            ms %= size
        }
        return s
    }
}
