import TallyStorage
import TallyEncoding
import Testing
@testable import TallyQuery

@Suite struct ChangeTests {
    let now = utc(2024, 6, 1)

    func source(_ values: [Double], start: Int64 = utc(2024, 5, 1), step: Int64 = DAY) -> FakeDataSource {
        let src = FakeDataSource()
        src.add("m", ["dataset": "orders"], times: values.indices.map { start + Int64($0) * step }, values: values)
        return src
    }

    func change(_ stage: String, _ values: [Double], start: Int64 = utc(2024, 5, 1), step: Int64 = DAY) throws -> ResultSeries {
        let r = try run("m | " + stage, source(values, start: start, step: step), now: now)
        #expect(r.series.count == 1)
        #expect(r.series[0].count == 1)
        return r.series[0]
    }

    @Test func previousWithZeroOneTwoPoints() throws {
        let zero = try change("change", [])
        #expect(zero.value(at: 0) == nil && zero.reason(at: 0) == "no data points")
        #expect(zero.times == [now])
        let one = try change("change", [5])
        #expect(one.value(at: 0) == nil)
        #expect(one.reason(at: 0)?.contains("only one data point") == true)
        #expect(one.times == [utc(2024, 5, 1)])
        let two = try change("change", [5, 12])
        #expect(two.value(at: 0) == Double(12 - 5))
        #expect(two.times == [utc(2024, 5, 2)])
        #expect(two.reasons == nil)
    }

    @Test func previousSkipsNulls() throws {
        #expect(try change("change", [3, 5, NULL, NULL, 12]).value(at: 0) == Double(12 - 5))
        let noEarlier = try change("change", [NULL, NULL, 12])
        #expect(noEarlier.value(at: 0) == nil && noEarlier.reason(at: 0) == "no earlier non-null value to compare with")
        let latestNull = try change("change", [3, 5, NULL])
        #expect(latestNull.value(at: 0) == nil && latestNull.reason(at: 0) == "the latest value is null")
        #expect(latestNull.times == [utc(2024, 5, 3)])
    }

    @Test func windowBaselines() throws {
        // N+1 points: the latest and exactly N before it.
        let values: [Double] = [2, 4, 9, 1, 20]
        #expect(try change("change avg last 4", values).value(at: 0) == 20 - (2 + 4 + 9 + 1) / 4)
        #expect(try change("change min last 4", values).value(at: 0) == 20 - 1)
        #expect(try change("change max last 4", values).value(at: 0) == 20 - 9)
        // Only the N most recent before the latest count.
        #expect(try change("change avg last 2", values).value(at: 0) == 20 - (9 + 1) / 2)
        // The latest is never part of its own baseline.
        #expect(try change("change max last 1", [1, 100]).value(at: 0) == 99)
    }

    @Test func windowWithTooLittleHistory() throws {
        let s = try change("change avg last 4", [2, 4, 9, 20])
        #expect(s.value(at: 0) == nil)
        #expect(s.reason(at: 0) == "needs 4 earlier non-null values, found 3")
        let withNulls = try change("change avg last 3", [2, NULL, 4, NULL, 9, 20])
        #expect(withNulls.value(at: 0) == Double(20 - 5))   // 2, 4, 9: nulls skipped
        let short = try change("change avg last 3", [NULL, 4, NULL, 9, 20])
        #expect(short.value(at: 0) == nil && short.reason(at: 0) == "needs 3 earlier non-null values, found 2")
        #expect(try change("change min last 1", []).reason(at: 0) == "no data points")
    }

    @Test func percent() throws {
        #expect(try change("change percent", [50, 60]).value(at: 0) == 20)
        #expect(try change("change avg last 2 percent", [10, 30, 30]).value(at: 0) == 50)
        #expect(try change("change percent", [80, 60]).value(at: 0) == -25)
    }

    @Test func percentWithZeroBaselines() throws {
        let both = try change("change percent", [0, 0])
        #expect(both.value(at: 0) == 0 && both.reasons == nil)
        let fromZero = try change("change percent", [0, 5])
        #expect(fromZero.value(at: 0) == nil)
        #expect(fromZero.reason(at: 0) == "the baseline is 0, so a percent change is undefined")
        let avgZero = try change("change avg last 2 percent", [-3, 3, 7])
        #expect(avgZero.value(at: 0) == nil)
        // A plain change from 0 is fine.
        #expect(try change("change", [0, 5]).value(at: 0) == 5)
    }

    @Test func sameDayLastWeek() throws {
        // Hourly points from 2024-05-01 for 10 days; values = hour index.
        let values = (0..<(24 * 10)).map { Double($0) }
        let s = try change("change same day last week", values, step: HOUR)
        // Latest: 2024-05-10T23:00 (index 239). Same UTC day last week: 2024-05-03, last value at 23:00 = index 71.
        #expect(s.times == [utc(2024, 5, 10, 23)])
        #expect(s.value(at: 0) == Double(239 - 71))
        // The last non-null value of that day counts.
        var withNull = values
        withNull[71] = NULL
        #expect(try change("change same day last week", withNull, step: HOUR).value(at: 0) == Double(239 - 70))
        let pct = try change("change same day last week percent", values, step: HOUR)
        #expect(pct.value(at: 0) == Double(239 - 71) / 71 * 100)
    }

    @Test func sameDayLastWeekMissing() throws {
        // Daily at 06:00 from 2024-05-01 to 2024-05-06: 7 days before 05-06 is 04-29, absent.
        let s = try change("change same day last week", [1, 2, 3, 4, 5, 6], start: utc(2024, 5, 1, 6))
        #expect(s.value(at: 0) == nil)
        #expect(s.reason(at: 0) == "no non-null value on 2024-04-29, the same UTC day last week")
        // 8 days: 05-08's week-ago day is 05-01.
        #expect(try change("change same day last week", [1, 2, 3, 4, 5, 6, 7, 8], start: utc(2024, 5, 1, 6)).value(at: 0) == 7)
    }

    @Test func readsOnlyTheTail() throws {
        let src = source((0..<100).map(Double.init))
        let r = try run("m | change avg last 5", src, now: now)
        #expect(r.series[0].value(at: 0) == Double(99 - (94 + 95 + 96 + 97 + 98) / 5))
        #expect(src.reads.isEmpty)
        #expect(src.lastReads.map(\.count) == [6])
        // With nulls at the end it asks again, for more.
        var values = (0..<100).map(Double.init)
        for i in 90..<99 { values[i] = NULL }
        let gappy = source(values)
        let g = try run("m | change", gappy, now: now)
        #expect(g.series[0].value(at: 0) == Double(99 - 89))
        #expect(gappy.lastReads.count > 1)
        // Same day last week reads the latest point and one day.
        let daily = source((0..<30).map(Double.init))
        let d = try run("m | change same day last week", daily, now: now)
        #expect(d.series[0].value(at: 0) == 7)
        #expect(daily.reads.count == 1 && daily.reads[0].to - daily.reads[0].from == DAY)
    }

    @Test func changeAfterOtherStagesMatchesThePushedDownForm() throws {
        let values: [Double] = [5, NULL, 7, 3, NULL, 11]
        let pushed = try change("change avg last 2 percent", values)
        let late = try run("m | where value is not null | change avg last 2 percent", source(values), now: now).series[0]
        #expect(pushed.values.map(\.bitPattern) == late.values.map(\.bitPattern))
        #expect(pushed.value(at: 0) == (11 - 5) / 5.0 * 100)
    }
}
