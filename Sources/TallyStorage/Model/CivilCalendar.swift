/// The proleptic Gregorian calendar on day numbers (days since 1970-01-01, UTC): the one place Tally turns dates
/// into day numbers and back — for segments' month partitions, ISO 8601 text, the query language's calendar
/// buckets and Soda's timestamps.
///
/// It counts in 400-year cycles of a calendar whose year starts on March 1, so that the leap day is the last day
/// of its year and every month's start is a fixed linear function of its index.
public enum CivilCalendar {
    /// Days since 1970-01-01 of a date (`month` 1...12, `day` 1...31; any year).
    public static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let cycle = floorDiv(y, 400)
        let yearOfCycle = y - cycle * 400                                  // 0...399
        let monthFromMarch = Int64((month + 9) % 12)                       // March = 0 ... February = 11
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + Int64(day) - 1    // 0...365
        let dayOfCycle = yearOfCycle * 365 + yearOfCycle / 4 - yearOfCycle / 100 + dayOfYear
        return cycle * 146_097 + dayOfCycle - 719_468                      // 719,468 days from 0000-03-01 to 1970-01-01
    }

    /// The date of a day number.
    public static func date(days: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = days + 719_468
        let cycle = floorDiv(shifted, 146_097)
        let dayOfCycle = shifted - cycle * 146_097                                             // 0...146096
        let yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36524 - dayOfCycle / 146_096) / 365
        let dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100)  // 0...365
        let monthFromMarch = (5 * dayOfYear + 2) / 153                                         // 0...11
        let day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        let month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        return (yearOfCycle + cycle * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Whether a year has February 29.
    public static func isLeapYear(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days of a month (1...12).
    public static func daysInMonth(year: Int64, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The day number of an epoch-milliseconds time (rounded towards the past).
    @inlinable
    public static func day(ofMillis millis: Int64) -> Int64 { floorDiv(millis, 86_400_000) }

    /// Milliseconds since the start (00:00 UTC) of the day of an epoch-milliseconds time, 0..<86,400,000. Every
    /// `Int64` works (`millis - day * 86_400_000` overflows for the earliest day).
    @inlinable
    public static func millisOfDay(_ millis: Int64) -> Int64 { floorMod(millis, 86_400_000) }

    /// Months since January 1970 of the month holding an epoch-milliseconds time (1970-01 is 0): segments'
    /// partitions, the query language's and the charts' month buckets.
    public static func monthIndex(ofMillis millis: Int64) -> Int64 {
        let (year, month, _) = date(days: day(ofMillis: millis))
        return (year - 1970) * 12 + Int64(month - 1)
    }

    /// 00:00 UTC on the first day of the month with the given index (see `monthIndex(ofMillis:)`). A month that
    /// starts past the range of `Int64` milliseconds gives its end (`Int64.max`, or `Int64.min` before it), so the
    /// end of the last month holding a time is always a time or the largest one.
    public static func startOfMonth(index: Int64) -> Int64 {
        let d = days(year: 1970 + floorDiv(index, 12), month: Int(floorMod(index, 12)) + 1, day: 1)
        let (millis, overflow) = d.multipliedReportingOverflow(by: 86_400_000)
        return overflow ? (d > 0 ? .max : .min) : millis
    }

    /// `a` modulo `b` in `0..<b` (`b > 0`).
    @inlinable @inline(__always)
    public static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r < 0 ? r + b : r
    }

    /// `a` divided by `b`, rounded towards negative infinity (`b > 0`). Inlinable: bucketing calls it per point.
    @inlinable @inline(__always)
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// `a` divided by `b`, rounded towards negative infinity (`b != 0`), in 128 bits: a time less an origin over a
    /// width, which for times near the ends of `Int64` (or `Int64.min / -1`) is no `Int64`.
    @inlinable
    public static func floorDiv(_ a: Int128, _ b: Int128) -> Int128 {
        let q = a / b, r = a % b
        return r != 0 && (r < 0) != (b < 0) ? q - 1 : q
    }
}
