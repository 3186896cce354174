import Testing
import TallyStorage

@Suite("civil calendar")
struct CivilCalendarTests {
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
            let lastDay = TimeText.daysInMonth(year: Int(previous.year), month: previous.month)
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
}
