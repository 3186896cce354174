import TallyStorage

/// A point in time as Soda writes it, parsed exactly (no `DateFormatter`, no locale, no rounding).
///
/// Formats seen in Soda output (all handled):
///
/// | where | example | mode |
/// |---|---|---|
/// | `dataTimestamp`, `scanStartTimestamp`, `scanEndTimestamp`, log timestamps (soda-core 3.x, `isoformat(timespec="seconds")`) | `2024-05-10T06:00:00+00:00` | strict |
/// | Soda Cloud history rows, `-srf` of anomaly checks' appended point (`%Y-%m-%dT%H:%M:%SZ`) | `2022-04-20T15:05:30Z` | strict |
/// | soda-core 4.x history query bounds | `2025-03-01T10:20:30.123+00:00` | strict |
/// | freshness diagnostics `nowTimestamp` | `2026-11-29T22:34:27.324772+00:00` | strict |
/// | freshness diagnostics `nowTimestampUtc`, `maxColumnTimestampUtc` (`str(datetime)`) | `2026-11-29 22:34:27.324772+00:00` | lenient |
/// | freshness diagnostics `maxColumnTimestamp` (naive, assumed UTC as Soda does) | `2024-05-09 12:00:00` | lenient |
/// | a `max(date_column)` metric value (`date` → `%Y-%m-%d`) | `2024-05-09` | lenient |
///
/// *Strict* = `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`: the form Soda uses for its own timestamps.
/// *Lenient* additionally accepts a space instead of `T`, no offset (taken as UTC), `±HHMM` / `±HH`
/// offsets and a bare date (midnight UTC). Fractions may have 1–9 digits. Every field is range checked
/// (month 1–12, day within the month with leap years, hour 0–23, minute and second 0–59, offset below 24 h).
public struct SodaTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before).
    public let epochSeconds: Int64
    /// Nanoseconds after ``epochSeconds`` (0 ..< 1_000_000_000).
    public let nanoseconds: Int32
    /// The UTC offset written in the text, in seconds (`nil` when the text had none).
    public let utcOffsetSeconds: Int32?
    /// The text as parsed.
    public let text: String

    /// Parsing strictness; see the type documentation.
    public enum Mode: Sendable {
        /// Soda's own timestamp form only: `T` separator and an explicit offset or `Z`.
        case strict
        /// Also `str(datetime)` forms, naive (UTC) times and bare dates.
        case lenient
    }

    /// Milliseconds since the epoch, rounded toward negative infinity (microseconds are dropped).
    /// This is the time of a Tally point.
    public var epochMilliseconds: Int64 {
        epochSeconds * 1000 + Int64(nanoseconds / 1_000_000)
    }

    /// Creates a timestamp from epoch milliseconds (UTC, text rendered as `...Z`).
    public init(epochMilliseconds: Int64) {
        var seconds = epochMilliseconds / 1000
        var millis = epochMilliseconds % 1000
        if millis < 0 {
            millis += 1000
            seconds -= 1
        }
        self.epochSeconds = seconds
        self.nanoseconds = Int32(millis * 1_000_000)
        self.utcOffsetSeconds = 0
        self.text = TimeText.format(epochMilliseconds)
    }

    /// Parses `text`; `nil` when it is not one of the accepted forms or a field is out of range.
    public init?(_ text: String, mode: Mode = .strict) {
        guard let parsed = SodaTimestamp.parse(Array(text.utf8), mode: mode) else { return nil }
        self.epochSeconds = parsed.seconds
        self.nanoseconds = parsed.nanos
        self.utcOffsetSeconds = parsed.offset
        self.text = text
    }

    /// The instant as Soda Cloud writes history times: `YYYY-MM-DDTHH:MM:SSZ`, with `.mmm` added
    /// only when the instant has milliseconds.
    public var cloudText: String { TimeText.format(epochMilliseconds) }

    /// The instant as soda-core 3.x writes it: `YYYY-MM-DDTHH:MM:SS+00:00` (sub-seconds dropped).
    public var sodaText: String {
        TimeText.format(epochSeconds * 1000).dropLast() + "+00:00"
    }

    /// The instant as epoch seconds written exactly as a JSON number: integer when there is no
    /// fraction (`1715256000`), else a decimal with trailing zeros removed (`1715256000.5`).
    public var epochSecondsNumber: SodaNumber {
        SodaNumber(unchecked: SodaTimestamp.decimal(seconds: epochSeconds, nanoseconds: nanoseconds))
    }

    /// Compares instants (the offset written does not matter).
    public static func < (lhs: SodaTimestamp, rhs: SodaTimestamp) -> Bool {
        (lhs.epochSeconds, lhs.nanoseconds) < (rhs.epochSeconds, rhs.nanoseconds)
    }

    /// Equal when they denote the same instant.
    public static func == (lhs: SodaTimestamp, rhs: SodaTimestamp) -> Bool {
        lhs.epochSeconds == rhs.epochSeconds && lhs.nanoseconds == rhs.nanoseconds
    }

    /// Hashes the instant.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(epochSeconds)
        hasher.combine(nanoseconds)
    }

    /// The text as parsed.
    public var description: String { text }

    // MARK: - Parsing

    private struct Parsed {
        var seconds: Int64
        var nanos: Int32
        var offset: Int32?
    }

    private static func parse(_ b: [UInt8], mode: Mode) -> Parsed? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var value = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
            }
            i += n
            return value
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilCalendar.daysInMonth(year: Int64(year), month: month) else { return nil }
        let days = CivilCalendar.days(year: Int64(year), month: month, day: day)
        if i == b.count {
            guard mode == .lenient else { return nil }
            return Parsed(seconds: days * 86_400, nanos: 0, offset: nil)
        }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "T") {
            i += 1
        } else if b[i] == UInt8(ascii: " ") && mode == .lenient {
            i += 1
        } else {
            return nil
        }
        guard let hour = digits(2), expect(":"), let minute = digits(2), expect(":"), let second = digits(2) else { return nil }
        guard hour < 24, minute < 60, second < 60 else { return nil }
        var nanos = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") {
                guard count < 9 else { return nil }
                nanos = nanos * 10 + Int(b[i] - UInt8(ascii: "0"))
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<9 { nanos *= 10 }
        }
        var offset: Int?
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") {
                i += 1
                offset = 0
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                var om = 0
                if i < b.count && b[i] == UInt8(ascii: ":") {
                    i += 1
                    guard let m = digits(2) else { return nil }
                    om = m
                } else if mode == .lenient, i < b.count {
                    guard let m = digits(2) else { return nil }
                    om = m
                } else if mode == .strict {
                    return nil
                }
                guard oh < 24, om < 60 else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        if offset == nil && mode == .strict { return nil }
        let local = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Parsed(seconds: local - Int64(offset ?? 0), nanos: Int32(nanos), offset: offset.map { Int32($0) })
    }

    static func decimal(seconds: Int64, nanoseconds: Int32) -> String {
        guard nanoseconds != 0 else { return String(seconds) }
        // value = seconds + nanoseconds/1e9, written exactly
        var whole = seconds
        var frac = Int64(nanoseconds)
        var negative = false
        if whole < 0 {
            // e.g. -2 s + 0.5 s = -1.5
            whole += 1
            frac = 1_000_000_000 - frac
            negative = true
        }
        var fracText = String(frac)
        fracText = String(repeating: "0", count: 9 - fracText.count) + fracText
        while fracText.hasSuffix("0") { fracText.removeLast() }
        let wholeText = negative && whole == 0 ? "-0" : String(whole)
        return "\(wholeText).\(fracText)"
    }
}
