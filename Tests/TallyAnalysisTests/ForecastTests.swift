import Testing
import TallyAnalysis

@Suite struct ForecastTests {
    @Test func weeklyForecastKeepsTheWeekendDip() {
        var g = SeriesMaker(seed: 61)
        let times = SeriesMaker.daily(98)
        let values = g.weekdayRowCounts(times.count)
        let f = AnomalyDetector().forecast(times: times, values: values, horizon: 14)
        #expect(f.times.count == 14 && f.needed == 0)
        #expect(f.times[0] == times[97] + SeriesMaker.day && f.times[13] == times[97] + 14 * SeriesMaker.day)
        for k in 0..<14 {
            let weekend = (98 + k) % 7 >= 5
            #expect(abs(f.expected[k] - (weekend ? 4_000 : 10_000)) < (weekend ? 300 : 700))
            #expect(f.lower[k] < f.expected[k] && f.expected[k] < f.upper[k])
        }
        #expect(f.model?.seasonPeriod == 7 * SeriesMaker.day)
    }

    /// A count that was never negative (missing values, mostly 0–3) is forecast with a lower bound of at least 0 and
    /// no negative expected value, as its verdicts are; a series with negative values keeps its negative range.
    @Test func aNeverNegativeSeriesIsForecastNonNegative() {
        var g = SeriesMaker(seed: 63)
        let missing = (0..<60).map { _ in Double(Int(abs(g.gaussian()) * 2)) }
        let f = AnomalyDetector().forecast(times: SeriesMaker.daily(60), values: missing, horizon: 7)
        #expect(f.times.count == 7)
        #expect(f.lower.allSatisfy { $0 >= 0 } && f.expected.allSatisfy { $0 >= 0 }, "\(f.lower)")
        let signed = (0..<60).map { _ in 2 * g.gaussian() }
        let s = AnomalyDetector().forecast(times: SeriesMaker.daily(60), values: signed, horizon: 7)
        #expect(s.lower.contains { $0 < 0 })
    }

    @Test func trendForecastGrowsAndWidens() {
        var g = SeriesMaker(seed: 62)
        let values = (0..<120).map { i in g.noisy(50_000 + 400 * Double(i), relative: 0.005) }
        let f = AnomalyDetector().forecast(times: SeriesMaker.daily(120), values: values, horizon: 30)
        #expect(f.model?.method == .holtWinters)
        #expect(f.expected[29] > f.expected[0] + 5_000)
        #expect(f.expected[0] > values[119] - 2_000)
        #expect(f.upper[29] - f.lower[29] > f.upper[0] - f.lower[0])
    }

    @Test func irregularSeriesContinueTheTypicalStep() {
        var times = SeriesMaker.hourly(200)
        times.remove(at: 50)
        times.remove(at: 120)
        let values = Array(repeating: 5.0, count: times.count)
        let f = AnomalyDetector().forecast(times: times, values: values, horizon: 3)
        #expect(f.times == [times.last! + SeriesMaker.hour, times.last! + 2 * SeriesMaker.hour,
                            times.last! + 3 * SeriesMaker.hour])
        #expect(f.expected == [5, 5, 5])
    }
}
