import Testing
import TallyAnalysis

/// Too little history: say so instead of guessing.
@Suite struct ColdStartTests {
    @Test func levelNeedsTenPoints() {
        var g = SeriesMaker(seed: 31)
        let values = g.counts(12, mean: 100, relative: 0.05)
        let r = AnomalyDetector(options: AnomalyOptions(method: .level)).detect(
            times: SeriesMaker.daily(12), values: values)
        for i in 0..<10 {
            #expect(r.reasons[i] == .coldStart)
            #expect(r.details[i] == Int32(10 - i))
            #expect(!r.anomaly[i])
            #expect(r.expected[i].isNaN)
        }
        #expect(r.reason(at: 0) == "needs 10 more points")
        #expect(r.reason(at: 9) == "needs 1 more point")
        #expect(r.reasons[10] != .coldStart)
    }

    @Test func autoWaitsTwoWeeksForDailyScans() {
        var g = SeriesMaker(seed: 32)
        let values = g.counts(20, mean: 100, relative: 0.05)
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(20), values: values)
        #expect((0..<14).allSatisfy { r.reasons[$0] == .coldStart })
        #expect(r.details[13] == 1)
        #expect(r.reasons[14] != .coldStart)
    }

    /// Before the second point the scan interval is unknown, and with it how much history `auto` needs for a
    /// season: the countdown says "at least", then counts down without rising (hourly: 10, 9, then 46 … 1).
    @Test func theCountdownSaysAtLeastUntilTheIntervalIsKnown() {
        var g = SeriesMaker(seed: 35)
        let values = g.counts(60, mean: 100, relative: 0.05)
        let r = AnomalyDetector().detect(times: SeriesMaker.hourly(60), values: values)
        #expect(r.reason(at: 0) == "needs at least 10 more points" && r.reason(at: 1) == "needs at least 9 more points")
        #expect(r.reason(at: 2) == "needs 46 more points")
        let counts = (2..<48).map { Int(r.details[$0]) }
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 == $1 + 1 }, "\(counts)")
        // A fixed season counts down too before the interval is known (it said "at least 10" twice).
        let weekly = AnomalyDetector(options: try! AnomalyOptions.parse("season=7d")).detect(times: SeriesMaker.daily(20), values: Array(values[0..<20]))
        #expect(weekly.reason(at: 0) == "needs at least 10 more points" && weekly.reason(at: 1) == "needs at least 9 more points")
        #expect(weekly.reason(at: 2) == "needs 12 more points" && weekly.reason(at: 3) == "needs 11 more points")
        // A method without a season knows its need from the start: no "at least".
        let level = AnomalyDetector(options: AnomalyOptions(method: .level)).detect(times: SeriesMaker.hourly(12), values: Array(values[0..<12]))
        #expect(level.reason(at: 0) == "needs 10 more points")
    }

    @Test func autoWaitsTwoDaysForHourlyScans() {
        var g = SeriesMaker(seed: 33)
        let values = g.counts(60, mean: 100, relative: 0.05)
        let r = AnomalyDetector().detect(times: SeriesMaker.hourly(60), values: values)
        #expect(r.reasons[47] == .coldStart && r.details[47] == 1)
        #expect(r.reasons[48] != .coldStart)
    }

    @Test func anExplicitSeasonNeedsTwoPeriods() {
        var g = SeriesMaker(seed: 34)
        let values = g.counts(30, mean: 100, relative: 0.05)
        let options = try! AnomalyOptions.parse("method=seasonal season=7d")
        let r = AnomalyDetector(options: options).detect(times: SeriesMaker.daily(30), values: values)
        #expect(r.reasons[13] == .coldStart)
        #expect(r.reasons[14] != .coldStart)
    }

    @Test func missingValuesDoNotCountAsHistory() {
        var values = Array(repeating: 100.0, count: 12)
        values[3] = .nan
        values[4] = .nan
        let r = AnomalyDetector(options: AnomalyOptions(method: .level)).detect(
            times: SeriesMaker.daily(12), values: values)
        #expect(r.reasons[3] == .missing && r.score[3].isNaN && !r.anomaly[3])
        #expect(r.reasons[11] == .coldStart && r.details[11] == 1)
    }

    @Test func forecastWithTooLittleHistorySaysHowMuchIsMissing() {
        let f = AnomalyDetector().forecast(times: SeriesMaker.daily(5), values: [1, 2, 3, 4, 5], horizon: 7)
        #expect(f.times.isEmpty && f.needed == 9)
        #expect(f.model == nil)
    }
}
