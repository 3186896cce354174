import TallyStorage

/// UTC calendar arithmetic on epoch milliseconds (proleptic Gregorian calendar, no leap seconds).
enum CivilTime {
    static let msPerSecond: Int64 = 1_000
    static let msPerMinute: Int64 = 60_000
    static let msPerHour: Int64 = 3_600_000
    static let msPerDay: Int64 = 86_400_000
    static let msPerWeek: Int64 = 7 * 86_400_000

    /// A broken-down UTC time.
    struct Fields: Equatable {
        var year: Int64, month: Int, day: Int
        var hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0
    }

    static func fields(_ t: Int64) -> Fields {
        var rest = CivilCalendar.millisOfDay(t)
        let (y, m, d) = CivilCalendar.date(days: CivilCalendar.day(ofMillis: t))
        let hour = Int(rest / msPerHour); rest %= msPerHour
        let minute = Int(rest / msPerMinute); rest %= msPerMinute
        let second = Int(rest / msPerSecond)
        return Fields(year: y, month: m, day: d, hour: hour, minute: minute, second: second,
                      millisecond: Int(rest % msPerSecond))
    }

    /// A UTC day, by its number of days since 1970-01-01 (which may lie outside the range of `Int64` milliseconds).
    struct Day: Equatable {
        let number: Int64

        /// Its first millisecond, cut to the range of `Int64` milliseconds.
        var from: Int64 { Int64(clamping: Int128(number) * Int128(msPerDay)) }
        /// The first millisecond after it, cut the same way: `from..<to` is empty when the whole day is before the
        /// earliest time or after the latest.
        var to: Int64 { Int64(clamping: Int128(number + 1) * Int128(msPerDay)) }
        /// Its date (`2024-04-29`; `-0044-03-08` as Tally writes years outside 0000-9999), written when asked for.
        var date: String {
            let (y, m, d) = CivilCalendar.date(days: number)
            return TimeText.dateText(year: y, month: m, day: d)
        }
    }

    /// The UTC day `days` days after the day holding `t` (before it, when negative).
    static func day(_ days: Int64, from t: Int64) -> Day {
        Day(number: CivilCalendar.day(ofMillis: t) + days)
    }

    /// `t` moved by a number of calendar months, keeping the time of day; the day of month is clamped to the
    /// length of the target month (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year). A result past the range
    /// of `Int64` milliseconds stops at its end (`Int64.max` or `Int64.min`).
    static func addingMonths(_ months: Int64, to t: Int64) -> Int64 {
        guard months != 0 else { return t }
        var f = fields(t)
        let index = (f.year - 1970) * 12 + Int64(f.month - 1) + months
        f.year = 1970 + CivilCalendar.floorDiv(index, 12)
        f.month = Int(CivilCalendar.floorMod(index, 12)) + 1
        f.day = Swift.min(f.day, CivilCalendar.daysInMonth(year: f.year, month: f.month))
        return TimeText.millis(year: f.year, month: f.month, day: f.day, hour: f.hour, minute: f.minute,
                               second: f.second, millisecond: f.millisecond) ?? (months > 0 ? .max : .min)
    }
}
