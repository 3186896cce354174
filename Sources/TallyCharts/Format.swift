import TallyAnalysis
import TallyQuery
import TallyStorage

/// Text spellings the charts share: numbers for people, UTC calendar fields, escaping for XML and JSON.
/// Everything here is pure and locale-free, so a chart's bytes depend only on its input.
public enum ChartText {
    /// `v` with `decimals` digits after the point and a comma between thousands: `12,345.60`.
    /// Values of 1e15 and more, whose digits a double no longer holds exactly, read as anomaly reasons write them:
    /// six significant digits and an exponent (`2.00033e+15`).
    public static func grouped(_ v: Double, decimals: Int) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v < 0 ? "-∞" : "∞") }
        let d = max(0, min(decimals, 12))
        var scale = 1.0
        for _ in 0..<d { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        guard abs(v) < 1e15, scaled < 9e18 else { return formatNumber(v, significant: 6) }
        let n = UInt64(scaled)
        let unit = UInt64(scale)
        let whole = n / unit, fraction = n % unit
        var text = groupDigits(String(whole))
        if d > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: d - digits.count) + digits
        }
        return (v < 0 && n != 0 ? "-" : "") + text
    }

    /// A value as people read it: integers with thousands separators (`12,345`), other values with up to
    /// `maxDecimals` decimals, trailing zeros dropped (`84.52`, `0.0031`).
    public static func number(_ v: Double, maxDecimals: Int = 4) -> String {
        guard v.isFinite else { return grouped(v, decimals: 0) }
        if v == v.rounded() { return grouped(v, decimals: 0) }
        // Enough decimals for small magnitudes to show significant digits.
        var decimals = maxDecimals
        var m = abs(v)
        while m < 0.1 && m > 0 && decimals < 12 { m *= 10; decimals += 1 }
        var text = grouped(v, decimals: decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// `v` as ``number(_:maxDecimals:)`` writes it, with its unit: `1,200 rows`, and `1 row` when it is written as
    /// exactly one of a unit whose singular is known (``singularUnits``). Other units are kept as written.
    public static func number(_ v: Double, unit: String?) -> String {
        withUnit(number(v), unit: unit)
    }

    /// A number's text with its unit, singular after `1`.
    static func withUnit(_ text: String, unit: String?) -> String {
        guard let unit, !unit.isEmpty else { return text }
        let one = text == "1" || text == "-1"
        return text + " " + (one ? singularUnits[unit] ?? unit : unit)
    }

    /// The singular of the plural units metrics are commonly kept in. A table, not a rule: English plurals are too
    /// irregular to guess (`series`, `mismatches`, `kbps`).
    static let singularUnits: [String: String] = {
        var table: [String: String] = ["entries": "entry", "queries": "query", "retries": "retry", "mismatches": "mismatch",
                                       "batches": "batch", "matches": "match", "indexes": "index", "boxes": "box",
                                       "addresses": "address", "statuses": "status", "processes": "process",
                                       "classes": "class", "duplicates": "duplicate"]
        let regular = ["rows", "records", "seconds", "minutes", "hours", "days", "weeks", "months", "years",
                       "milliseconds", "microseconds", "nanoseconds", "bytes", "kilobytes", "megabytes", "gigabytes",
                       "terabytes", "bits", "checks", "events", "files", "errors", "failures", "warnings", "values",
                       "items", "points", "requests", "messages", "users", "customers", "orders", "tables", "columns",
                       "scans", "jobs", "tasks", "runs", "nulls", "characters", "words", "lines", "partitions",
                       "transactions", "products", "sessions", "visits", "clicks", "pages", "objects", "keys",
                       "documents", "alerts", "incidents", "tests", "calls", "operations", "connections", "datasets"]
        for plural in regular { table[plural] = String(plural.dropLast()) }
        return table
    }()

    /// A pixel coordinate with one decimal, without a trailing `.0`: `12`, `12.5`, `-3.2`.
    /// A value off its axis (an outcome stack summed past the largest double, say) lies far outside the figure:
    /// it is written a billion pixels out, and NaN as 0, rather than trapping on the conversion to an integer.
    static func coordinate(_ v: Double) -> String {
        let bounded = v.isNaN ? 0 : Swift.min(Swift.max(v, -1e9), 1e9)
        let tenths = Int64((bounded * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = tenths.magnitude
        let whole = magnitude / 10, fraction = magnitude % 10
        return sign + String(whole) + (fraction == 0 ? "" : "." + String(fraction))
    }

    private static func groupDigits(_ digits: String) -> String {
        let chars = Array(digits)
        var out = ""
        for (i, c) in chars.enumerated() {
            if i > 0 && (chars.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// Text escaped for XML and HTML content and attribute values.
    public static func xml(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // XML 1.0 forbids most control characters and the non-characters U+FFFE and U+FFFF (valid UTF-8, so
                // a label can hold them), and DEL is invisible: show them as spaces.
                let forbidden = c.value < 0x20 && c != "\n" && c != "\t" || c.value == 0x7f
                if forbidden || c.value == 0xFFFE || c.value == 0xFFFF {
                    out += " "
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }

    /// A quoted JSON string, safe to inline in HTML.
    static func json(_ s: String) -> String { JSONText.string(s) }

    /// A JSON number; `null` for null and non-finite values (JSON has no NaN).
    static func json(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        return v.description
    }
}

/// UTC calendar fields of epoch milliseconds (proleptic Gregorian, no leap seconds).
struct UTCTime: Equatable {
    static let second: Int64 = 1_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    var year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int

    init(_ t: Int64) {
        var rest = CivilCalendar.millisOfDay(t)
        (year, month, day) = CivilCalendar.date(days: CivilCalendar.day(ofMillis: t))
        hour = Int(rest / UTCTime.hour); rest %= UTCTime.hour
        minute = Int(rest / UTCTime.minute); rest %= UTCTime.minute
        second = Int(rest / UTCTime.second)
        millisecond = Int(rest % UTCTime.second)
    }

    static func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// `2025`; outside 0000–9999 as Tally writes years everywhere (`-0044`, `+10000`).
    var yearText: String { TimeText.yearText(year) }
    var monthName: String { UTCTime.monthNames[month - 1] }
    /// `2024-05-01` (`-0044-03-15`, `+10000-01-01`).
    var dateText: String { TimeText.dateText(year: year, month: month, day: day) }

    /// `to - from` in milliseconds, as a `Double` (exact up to 2^53 ms, about 285,000 years), which cannot
    /// overflow: a chart may span the whole range of times, from `Int64.min` to `Int64.max`, whose width is no
    /// `Int64` (`timeGap` and `timeShift` stop at its ends).
    static func span(from: Int64, to: Int64) -> Double { Double(Int128(to) - Int128(from)) }
    /// `06:00`
    var hourMinuteText: String { UTCTime.pad2(hour) + ":" + UTCTime.pad2(minute) }
    /// `06:00:15`
    var hourMinuteSecondText: String { hourMinuteText + ":" + UTCTime.pad2(second) }

    /// `2024-05-01 06:00 UTC`, with seconds when not zero.
    static func readable(_ t: Int64) -> String {
        let f = UTCTime(t)
        let clock = f.second != 0 || f.millisecond != 0 ? f.hourMinuteSecondText : f.hourMinuteText
        return f.dateText + " " + clock + " UTC"
    }
}
