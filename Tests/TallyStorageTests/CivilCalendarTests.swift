import Testing
import TallyStorage
import TallyTestSupport
import TallyAnalysis

@Suite("civil calendar")
struct CivilCalendarTests {
    /// Month indexes and month starts agree with the dates, across 1970, before it and at the ends of `Int64`
    /// (where the time of day used to be computed with an overflowing product).
    @Test func monthsAndTimesOfDayHoldAtEveryTime() {
        let day: Int64 = 86_400_000
        for index in Int64(-30_000)...30_000 {
            let start = CivilCalendar.startOfMonth(index: index)
            #expect(CivilCalendar.monthIndex(ofMillis: start) == index)
            #expect(CivilCalendar.monthIndex(ofMillis: start - 1) == index - 1)
            #expect(CivilCalendar.millisOfDay(start) == 0 && CivilCalendar.date(days: start / day).day == 1)
        }
        #expect(CivilCalendar.monthIndex(ofMillis: 0) == 0 && CivilCalendar.startOfMonth(index: 1) == 31 * day)
        for t in [Int64.min, Int64.min + 1, -1, 0, 1, day - 1, Int64.max - 1, Int64.max] {
            let m = CivilCalendar.millisOfDay(t)
            #expect(m >= 0 && m < day, "\(t)")
            #expect((t % day + day) % day == m, "\(t)")
        }
        #expect(CivilCalendar.millisOfDay(-1) == day - 1)
        // The month after the last one holding a time starts past Int64: its start is the largest time.
        let last = CivilCalendar.monthIndex(ofMillis: .max)
        #expect(CivilCalendar.startOfMonth(index: last) <= Int64.max - 16 * day)
        #expect(CivilCalendar.startOfMonth(index: last + 1) == .max)
        let first = CivilCalendar.monthIndex(ofMillis: .min)
        #expect(CivilCalendar.startOfMonth(index: first) == .min)
        #expect(CivilCalendar.monthIndex(ofMillis: CivilCalendar.startOfMonth(index: first + 1)) == first + 1)
        #expect(CivilCalendar.floorMod(-7, 12) == 5 && CivilCalendar.floorMod(7, 12) == 7)
    }

    @Test func knownDates() {
        #expect(CivilCalendar.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilCalendar.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilCalendar.days(year: 2024, month: 2, day: 29) == 19_782)
        #expect(CivilCalendar.days(year: 1969, month: 12, day: 31) == -1)
        #expect(CivilCalendar.days(year: 1600, month: 2, day: 29) == -135_081)
        #expect(CivilCalendar.date(days: -1) == (1969, 12, 31))
        #expect(CivilCalendar.date(days: 19_782) == (2024, 2, 29))
        #expect(CivilCalendar.day(ofMillis: -1) == -1)
        #expect(CivilCalendar.day(ofMillis: 86_399_999) == 0)
        #expect(TimeText.format(-1) == "1969-12-31T23:59:59.999Z")
    }

    /// Every day of 1,600 years either side of 1970 maps to a valid date and back, each the day after the one before.
    @Test func everyDayRoundTrips() {
        var previous = CivilCalendar.date(days: -584_401)
        var failures = 0
        for day in Int64(-584_400)...584_400 {
            let date = CivilCalendar.date(days: day)
            let sameMonth = date.year == previous.year && date.month == previous.month && date.day == previous.day + 1
            let lastDay = CivilCalendar.daysInMonth(year: previous.year, month: previous.month)
            let nextMonth = date.day == 1 && previous.day == lastDay
                && (date.year == previous.year && date.month == previous.month + 1
                    || date.year == previous.year + 1 && date.month == 1 && previous.month == 12)
            if !(sameMonth || nextMonth) || CivilCalendar.days(year: date.year, month: date.month, day: date.day) != day {
                failures += 1
            }
            previous = date
        }
        #expect(failures == 0)
    }
}

@Suite("time text")
struct TimeTextTests {
    @Test func yearsOutsideFourDigits() {
        let year10000 = CivilCalendar.days(year: 10_000, month: 1, day: 1) * 86_400_000
        #expect(TimeText.format(year10000) == "+10000-01-01T00:00:00Z")
        let year44BC = CivilCalendar.days(year: -44, month: 3, day: 15) * 86_400_000 + 43_200_000
        #expect(TimeText.format(year44BC) == "-0044-03-15T12:00:00Z")
        #expect(TimeText.format(1_714_543_200_123) == "2024-05-01T06:00:00.123Z")
    }

    /// A date alone is written with the years `format` writes, from the first year of `Int64` seconds to after 9999.
    @Test func datesAloneWriteExpandedYears() {
        #expect(TimeText.dateText(year: -292_277_022, month: 1, day: 1) == "-292277022-01-01")
        #expect(TimeText.dateText(year: -1, month: 12, day: 31) == "-0001-12-31")
        #expect(TimeText.dateText(year: 0, month: 1, day: 1) == "0000-01-01")
        #expect(TimeText.dateText(year: 9_999, month: 12, day: 31) == "9999-12-31")
        #expect(TimeText.dateText(year: 10_000, month: 1, day: 1) == "+10000-01-01")
        #expect(TimeText.dateText(year: -44, month: 3, day: 15) == "-0044-03-15")
        #expect(TimeText.dateText(year: 2024, month: 5, day: 1) == "2024-05-01")
        for t in [Int64.min, -1, 0, 1_714_543_200_123, Int64.max] {
            let (year, month, day) = CivilCalendar.date(days: CivilCalendar.day(ofMillis: t))
            let date = TimeText.dateText(year: year, month: month, day: day)
            #expect(TimeText.format(t).hasPrefix(date + "T"), "\(t)")
        }
    }

    /// What `format` writes, `parse` reads back to the same time: around year 0, the four-digit years' ends, and
    /// the first and last `Int64` milliseconds (`format` trapped on `Int64.min`, and `parse` refused every year it
    /// writes with a sign).
    @Test func formattedTimesParseBackAtTheExtremes() {
        let day: Int64 = 86_400_000
        let year0 = CivilCalendar.days(year: 0, month: 1, day: 1) * day
        let year10000 = CivilCalendar.days(year: 10_000, month: 1, day: 1) * day
        let yearMinus9999 = CivilCalendar.days(year: -9_999, month: 1, day: 1) * day
        let texts: [(Int64, String)] = [
            (year0, "0000-01-01T00:00:00Z"),
            (year0 - 1, "-0001-12-31T23:59:59.999Z"),
            (year10000 - 1_000, "9999-12-31T23:59:59Z"),
            (year10000 - 1, "9999-12-31T23:59:59.999Z"),
            (year10000, "+10000-01-01T00:00:00Z"),
            (yearMinus9999, "-9999-01-01T00:00:00Z"),
            (yearMinus9999 - 1, "-10000-12-31T23:59:59.999Z"),
            (Int64.max, "+292278994-08-17T07:12:55.807Z"),
            (Int64.max - 807, "+292278994-08-17T07:12:55Z"),
            (Int64.min, "-292275055-05-16T16:47:04.192Z"),
            (Int64.min + 808, "-292275055-05-16T16:47:05Z"),
        ]
        for (time, text) in texts {
            #expect(TimeText.format(time) == text)
            #expect(TimeText.parse(text) == time, "\(text)")
        }
        var rng = SeededGenerator(seed: 7)
        var times: [Int64] = [0, -1, 1, Int64.max - 1, Int64.min + 1, Int64.min + 999, Int64.min + 1_000]
        for _ in 0..<20_000 { times.append(Int64.random(in: .min ... .max, using: &rng)) }
        // And 20,000 within ±280,000 years.
        for _ in 0..<20_000 { times.append(Int64.random(in: .min ... .max, using: &rng) >> 20) }
        let failures = times.filter { TimeText.parse(TimeText.format($0)) != $0 }
        #expect(failures.isEmpty, "\(failures.prefix(5).map { ($0, TimeText.format($0)) })")
    }

    /// `parse` reads the expanded years `format` writes and no other spelling of them, and no time past the range
    /// of `Int64` milliseconds.
    @Test func parseRefusesYearsFormatNeverWrites() {
        for text in [
            "+2024-05-01T00:00:00Z",            // a sign on a four-digit year after 0
            "+010000-01-01T00:00:00Z",          // a leading zero past four digits
            "-00044-03-15T12:00:00Z",
            "-0000-01-01T00:00:00Z",            // year 0 has no sign
            "10000-01-01T00:00:00Z",            // five digits without the sign
            "+1000000000-01-01T00:00:00Z",      // ten digits
            "+-1000-01-01T00:00:00Z",
            "+-01-01T00:00:00Z",
            "+292278994-08-17T07:12:55.808Z",   // one millisecond after Int64.max
            "-292275055-05-16T16:47:04.191Z",   // one before Int64.min
            "+292278994-08-17T07:12:55.807-00:01",
            "-292275055-05-16T16:47:04.192+00:01",
            "+999999999-12-31T23:59:59Z",
        ] {
            #expect(TimeText.parse(text) == nil, "\(text)")
        }
        // An offset may bring a time written past the range back into it.
        #expect(TimeText.parse("+292278994-08-17T08:12:55.807+01:00") == Int64.max)
        #expect(TimeText.parse("-292275055-05-16T15:47:04.192-01:00") == Int64.min)
        #expect(TimeText.parse("-0044-03-15T12:00:00Z") == TimeText.parse("-0044-03-15T13:00:00+01:00"))
        #expect(TimeText.parse("-0004-02-29T00:00:00Z") != nil)   // year -4 is a leap year
        #expect(TimeText.parse("-0001-02-29T00:00:00Z") == nil)
    }
}
