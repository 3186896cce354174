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

    /// `a` divided by `b`, rounded towards negative infinity (`b > 0`).
    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// `a` modulo `b` in `0..<b` (`b > 0`).
    @inline(__always)
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    static func isLeapYear(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(year: Int64, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a civil date.
    ///
    /// Counts in 400-year cycles of a calendar whose year starts on March 1, so that the leap day is the
    /// last day of its year and every month's start is a fixed linear function of its index.
    static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let cycle = floorDiv(y, 400)
        let yearOfCycle = y - cycle * 400                                  // 0...399
        let monthFromMarch = Int64((month + 9) % 12)                       // March = 0 ... February = 11
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + Int64(day) - 1    // 0...365
        let dayOfCycle = yearOfCycle * 365 + yearOfCycle / 4 - yearOfCycle / 100 + dayOfYear
        return cycle * 146_097 + dayOfCycle - 719_468                      // 719468 days from 0000-03-01 to 1970-01-01
    }

    /// The civil date of a day number (days since 1970-01-01).
    static func date(days: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = days + 719_468
        let cycle = floorDiv(shifted, 146_097)
        let dayOfCycle = shifted - cycle * 146_097                                             // 0...146096
        let yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36524 - dayOfCycle / 146_096) / 365
        let dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100)  // 0...365
        let monthFromMarch = (5 * dayOfYear + 2) / 153                                         // 0...11
        let day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        let month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        let year = yearOfCycle + cycle * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func milliseconds(_ f: Fields) -> Int64 {
        days(year: f.year, month: f.month, day: f.day) * msPerDay
            + Int64(f.hour) * msPerHour + Int64(f.minute) * msPerMinute
            + Int64(f.second) * msPerSecond + Int64(f.millisecond)
    }

    static func fields(_ t: Int64) -> Fields {
        let dayNumber = floorDiv(t, msPerDay)
        var rest = t - dayNumber * msPerDay
        let (y, m, d) = date(days: dayNumber)
        let hour = Int(rest / msPerHour); rest %= msPerHour
        let minute = Int(rest / msPerMinute); rest %= msPerMinute
        let second = Int(rest / msPerSecond)
        return Fields(year: y, month: m, day: d, hour: hour, minute: minute, second: second,
                      millisecond: Int(rest % msPerSecond))
    }

    /// Start (00:00 UTC) of the day containing `t`.
    static func startOfDay(_ t: Int64) -> Int64 { floorDiv(t, msPerDay) * msPerDay }

    /// Months since 1970-01 of the month containing `t` (1970-01 is 0).
    static func monthIndex(_ t: Int64) -> Int64 {
        let f = fields(t)
        return (f.year - 1970) * 12 + Int64(f.month - 1)
    }

    /// 00:00 UTC on the first day of the month with the given index (see `monthIndex`).
    static func startOfMonth(index: Int64) -> Int64 {
        let year = 1970 + floorDiv(index, 12)
        let month = Int(floorMod(index, 12)) + 1
        return days(year: year, month: month, day: 1) * msPerDay
    }

    /// `t` moved by a number of calendar months, keeping the time of day; the day of month is clamped to the
    /// length of the target month (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year).
    static func addingMonths(_ months: Int64, to t: Int64) -> Int64 {
        guard months != 0 else { return t }
        var f = fields(t)
        let index = (f.year - 1970) * 12 + Int64(f.month - 1) + months
        f.year = 1970 + floorDiv(index, 12)
        f.month = Int(floorMod(index, 12)) + 1
        f.day = Swift.min(f.day, daysInMonth(year: f.year, month: f.month))
        return milliseconds(f)
    }

    /// ISO 8601 in UTC with `Z`: `2024-05-01T06:00:00Z`, with `.mmm` only when the milliseconds are not zero.
    static func format(_ t: Int64) -> String {
        let f = fields(t)
        var s = ""
        if f.year < 0 {
            s += "-" + pad(-f.year, 4)
        } else if f.year > 9999 {
            s += "+" + String(f.year)
        } else {
            s += pad(f.year, 4)
        }
        s += "-" + pad(Int64(f.month), 2) + "-" + pad(Int64(f.day), 2)
        s += "T" + pad(Int64(f.hour), 2) + ":" + pad(Int64(f.minute), 2) + ":" + pad(Int64(f.second), 2)
        if f.millisecond != 0 { s += "." + pad(Int64(f.millisecond), 3) }
        return s + "Z"
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let digits = String(v)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
