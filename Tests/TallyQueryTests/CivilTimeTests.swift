import TallyStorage
import TallyEncoding
import Testing
@testable import TallyQuery

@Suite struct CivilTimeTests {
    @Test func helperAgreesWithKnownEpochs() {
        // Anchors from `date -u -d ... +%s`.
        #expect(utc(2024, 5, 1) == 1_714_521_600_000)
        #expect(utc(2024, 2, 29) == 1_709_164_800_000)
        #expect(utc(2000, 2, 29) == 951_782_400_000)
        #expect(utc(1900, 3, 1) == -2_203_891_200_000)
    }

    @Test func daysRoundTripOverFourHundredYears() {
        // Every day from 1800 to 2200 converts both ways, and matches the day-counting helper.
        var day = CivilCalendar.floorDiv(utc(1800, 1, 1), DAY)
        let end = CivilCalendar.floorDiv(utc(2200, 1, 1), DAY)
        var previous = CivilCalendar.date(days: day - 1)
        while day < end {
            let (y, m, d) = CivilCalendar.date(days: day)
            #expect(CivilCalendar.days(year: y, month: m, day: d) == day)
            // consecutive: the next day is either day+1 in the month or the 1st of the next month
            if d != 1 { #expect(previous.day == d - 1 && previous.month == m) }
            previous = (y, m, d)
            day += 1
        }
        #expect(CivilCalendar.days(year: 2096, month: 2, day: 29) * DAY == utc(2096, 2, 29))
        #expect(CivilCalendar.days(year: 1969, month: 12, day: 31) == -1)
    }

    @Test func formatsISO() {
        #expect(TimeText.format(utc(2024, 5, 1, 6)) == "2024-05-01T06:00:00Z")
        #expect(TimeText.format(utc(2024, 5, 1, 6, 7, 8, 90)) == "2024-05-01T06:07:08.090Z")
        #expect(TimeText.format(-1) == "1969-12-31T23:59:59.999Z")
        #expect(TimeText.format(0) == "1970-01-01T00:00:00Z")
    }

    /// The earliest and latest times split into fields without trapping (the time of day used to be an
    /// overflowing product for the earliest day).
    @Test func fieldsOfTheExtremeTimes() {
        let first = CivilTime.fields(Int64.min), last = CivilTime.fields(Int64.max)
        #expect(first.year == -292_275_055 && first.month == 5 && first.day == 16 && first.hour == 16
                && first.millisecond == 192)
        #expect(last.year == 292_278_994 && last.month == 8 && last.day == 17 && last.millisecond == 807)
        #expect(TimeText.millis(year: last.year, month: last.month, day: last.day, hour: last.hour,
                                minute: last.minute, second: last.second, millisecond: last.millisecond) == Int64.max)
    }

    @Test func aDayAWeekBackHasItsTimesAndItsDate() {
        let week = CivilTime.day(-7, from: utc(2024, 5, 6, 13, 45))
        #expect(week.from == utc(2024, 4, 29) && week.to == utc(2024, 4, 30))
        #expect(week.date == "2024-04-29")
        // Before 1970 the day still starts at its midnight (floor, not truncation toward zero).
        let before = CivilTime.day(0, from: -1)
        #expect(before.from == utc(1969, 12, 31) && before.to == 0 && before.date == "1969-12-31")
        // A day before the earliest time is empty, cut to it, and its date is still written whole.
        let early = CivilTime.day(-7, from: .min)
        #expect(early.from == .min && early.to == .min && early.date == "-292275055-05-09")
        // The day holding the latest time ends at it.
        let late = CivilTime.day(0, from: .max)
        #expect(late.to == .max && late.from == utc(1970, 1, 1) + (Int64.max / 86_400_000) * 86_400_000)
        #expect(late.date == "+292278994-08-17")
    }

    @Test func addingMonthsClampsTheDay() {
        #expect(CivilTime.addingMonths(1, to: utc(2024, 1, 31, 5)) == utc(2024, 2, 29, 5))
        #expect(CivilTime.addingMonths(1, to: utc(2023, 1, 31)) == utc(2023, 2, 28))
        #expect(CivilTime.addingMonths(-1, to: utc(2024, 3, 31)) == utc(2024, 2, 29))
        #expect(CivilTime.addingMonths(12, to: utc(2024, 2, 29)) == utc(2025, 2, 28))
        #expect(CivilTime.addingMonths(-13, to: utc(2024, 1, 15)) == utc(2022, 12, 15))
        #expect(CivilTime.addingMonths(1, to: utc(1969, 12, 15)) == utc(1970, 1, 15))
    }
}
