import Glibc
import Testing
import TallyAnalysis

/// What each option does to the verdicts.
@Suite struct OptionBehaviourTests {
    static func quiet(seed: UInt64, n: Int = 80, mean: Double = 1_000, relative: Double = 0.02) -> [Double] {
        var g = SeriesMaker(seed: seed)
        return g.counts(n, mean: mean, relative: relative)
    }

    @Test func directionDownIgnoresSpikesUp() throws {
        var values = Self.quiet(seed: 51)
        values[70] = 3_000
        values[75] = 200
        let r = AnomalyDetector(options: try AnomalyOptions.parse("direction=down")).detect(
            times: SeriesMaker.daily(80), values: values)
        #expect(!r.anomaly[70] && r.score[70] == 0)
        #expect(r.upper[70] == .infinity)
        #expect(r.anomaly[75])
        #expect(r.reason(at: 75).contains("below the expected range at least"))
        let up = AnomalyDetector(options: try AnomalyOptions.parse("direction=up")).detect(
            times: SeriesMaker.daily(80), values: values)
        #expect(up.anomaly[70] && !up.anomaly[75] && up.lower[75] == -.infinity)
    }

    /// `direction=up` hears nothing of a series that dropped to zero and stayed there: not the drop, and not the
    /// stuck value either (it alerted as "0 has not changed for 3 points"); `direction=down` and both do.
    @Test func aOneSidedCheckIgnoresAStuckValueOnTheOtherSide() throws {
        var values = Self.quiet(seed: 53)
        for i in 74..<80 { values[i] = 0 }
        let times = SeriesMaker.daily(80)
        let up = AnomalyDetector(options: try AnomalyOptions.parse("direction=up")).detect(times: times, values: values)
        #expect(up.flagged.isEmpty, "\(up.flagged.map { up.reason(at: $0) })")
        let down = AnomalyDetector(options: try AnomalyOptions.parse("direction=down")).detect(times: times, values: values)
        #expect(down.anomaly[74] && down.anomaly[79], "\(down.reason(at: 79))")
        let both = AnomalyDetector().detect(times: times, values: values)
        #expect(both.anomaly[74] && both.anomaly[79])
    }

    @Test func ignoreBelowSuppressesSmallRelativeChanges() throws {
        var values = Self.quiet(seed: 52, relative: 0.002)
        values[70] = (values[69] * 0.96).rounded()   // −4%
        values[75] = (values[74] * 0.90).rounded()   // −10%
        let plain = AnomalyDetector().detect(times: SeriesMaker.daily(80), values: values)
        let floor = AnomalyDetector(options: try AnomalyOptions.parse("ignore_below=5")).detect(
            times: SeriesMaker.daily(80), values: values)
        #expect(plain.anomaly[70] && !floor.anomaly[70])
        #expect(plain.anomaly[75] && floor.anomaly[75])
        #expect(floor.lower[70] <= floor.expected[70] * 0.95 + 1e-9)
    }

    @Test func higherSensitivityNeverAlertsMore() {
        // Heavy-tailed noise: Student-t like (a Gaussian over a random scale).
        var g = SeriesMaker(seed: 53)
        let values = (0..<600).map { _ in 100 + 5 * g.gaussian() / max(0.3, abs(g.gaussian())) }
        var previous = Int.max
        var previousWidth = 0.0
        for s in [2.0, 3.0, 4.0, 6.0] {
            let r = AnomalyDetector(options: AnomalyOptions(sensitivity: s)).detect(
                times: SeriesMaker.hourly(600), values: values)
            #expect(r.flagged.count <= previous)
            let width = r.upper[599] - r.lower[599]
            #expect(width > previousWidth)
            previous = r.flagged.count
            previousWidth = width
        }
    }

    @Test func scoreMatchesTheBand() {
        var values = Self.quiet(seed: 54, n: 200, relative: 0.05)
        values[150] = 1_500
        values[160] = 880
        let s = 4.0
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(200), values: values)
        let edge = erf(s / 2.0.squareRoot())
        for i in r.judged where r.reasons[i] != .stuck && r.reasons[i] != .drift {
            let outside = r.values[i] < r.lower[i] || r.values[i] > r.upper[i]
            #expect(r.anomaly[i] == outside)
            if outside { #expect(r.score[i] >= edge - 1e-12 && abs(r.deviation[i]) >= s - 1e-9) }
            else { #expect(r.score[i] <= edge + 1e-12) }
            #expect((r.deviation[i] > 0) == (r.values[i] > r.expected[i]) || r.deviation[i] == 0)
        }
        #expect(r.anomaly[150] && r.score[150] > 0.999999)
    }

    @Test func scoreIsZeroAtTheExpectedValue() {
        var values = Self.quiet(seed: 55, n: 40)
        let probe = AnomalyDetector().detect(times: SeriesMaker.daily(40), values: values)
        values[39] = probe.expected[39]
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(40), values: values)
        #expect(r.score[39] == 0 && r.deviation[39] == 0)
    }

    @Test func explicitMethodsAreHonoured() throws {
        var g = SeriesMaker(seed: 56)
        let times = SeriesMaker.daily(120)
        let weekly = g.weekdayRowCounts(times.count)
        let level = AnomalyDetector(options: try AnomalyOptions.parse("method=level")).detect(times: times, values: weekly)
        #expect(level.finalModel?.method == .level)
        let seasonal = AnomalyDetector(options: try AnomalyOptions.parse("method=seasonal")).detect(
            times: times, values: weekly)
        #expect(seasonal.finalModel?.method == .seasonal)
        #expect(seasonal.flagged.count < 3)
        let hw = AnomalyDetector(options: try AnomalyOptions.parse("method=holt_winters")).detect(
            times: times, values: weekly)
        #expect(hw.finalModel?.method == .holtWinters && hw.finalModel?.seasonPeriod == 7 * SeriesMaker.day)
        let noSeason = AnomalyDetector(options: try AnomalyOptions.parse("season=none")).detect(
            times: times, values: weekly)
        #expect(noSeason.finalModel?.seasonPeriod == nil)
    }

    /// `method=holt_winters` on plain noise flags about as rarely as the level model: its first model, built from
    /// ten points with no one-step residual yet, takes the robust level's spread of those points until residuals
    /// come (it flagged about four in ten of its first 85 verdicts on a band of nothing).
    @Test func holtWintersFromTheFirstVerdictsHasASaneBand() throws {
        for seed in UInt64(60)..<UInt64(63) {
            var g = SeriesMaker(seed: seed)
            let times = SeriesMaker.daily(200)
            let values = (0..<200).map { _ in 100 + 3 * g.gaussian() }
            let hw = AnomalyDetector(options: try AnomalyOptions.parse("method=holt_winters")).detect(times: times, values: values)
            let level = AnomalyDetector(options: try AnomalyOptions.parse("method=level")).detect(times: times, values: values)
            #expect(hw.flagged.count <= max(4, 3 * level.flagged.count), "seed \(seed): \(hw.flagged.count) flags, level \(level.flagged.count)")
            let first = hw.reasons.firstIndex { $0 != .coldStart } ?? 0
            #expect(hw.upper[first] - hw.lower[first] > 6, "seed \(seed): the first band is \(hw.upper[first] - hw.lower[first]) wide")
        }
    }

    @Test func aConstantMetricAlertsOnAnyChange() {
        var values = Array(repeating: 12.0, count: 40)
        values[39] = 13
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(40), values: values)
        #expect(r.flagged == [39])
        #expect(r.reason(at: 39) == "13 is above the expected value 12; constant")
        #expect(r.reason(at: 38) == "12 is the expected value; constant")
    }

    /// A fixed season must hold at least two scans: `season=1h` on daily scans is no pattern at all (it used to
    /// be reported as an "hourly pattern"); `season=7d` on the same scans is the weekly one.
    @Test func aSeasonShorterThanTwoScansIsIgnored() throws {
        var g = SeriesMaker(seed: 58)
        let times = SeriesMaker.daily(70)
        let values = times.indices.map { i in g.noisy(i % 7 >= 5 ? 400 : 1_000, relative: 0.03).rounded() }
        let hourly = AnomalyDetector(options: try AnomalyOptions.parse("method=seasonal season=1h")).detect(times: times, values: values)
        let weekly = AnomalyDetector(options: try AnomalyOptions.parse("method=seasonal season=7d")).detect(times: times, values: values)
        let hourlySummary = try #require(hourly.finalModel?.summary)
        #expect(!hourlySummary.contains("hourly") && !hourlySummary.contains("pattern"), "\(hourlySummary)")
        #expect(weekly.finalModel?.summary.contains("weekly pattern") == true, "\(weekly.finalModel?.summary ?? "")")
    }

    @Test func humanReasonsReadWell() {
        #expect(formatRange(lower: 951.2, upper: 1_119.6) == "951–1,120")
        #expect(formatRange(lower: -.infinity, upper: 1_119.6) == "at most 1,120")
        #expect(formatNumber(1_234_567) == "1,234,567")
        #expect(formatNumber(-2_500_000) == "-2,500,000")
        #expect(formatNumber(0.012345) == "0.01235")
        #expect(formatNumber(0) == "0")
        // Beyond the fixed-point range: scientific notation to the significant digits (or the range's unit).
        #expect(formatNumber(9.991420886250234e299, significant: 4) == "9.991e+299")
        #expect(formatNumber(-1.0500000000000001e304, significant: 6) == "-1.05e+304")
        #expect(formatNumber(2.5e-7) == "2.5e-7")
        #expect(formatNumber(1e15) == "1e+15")
        #expect(formatNumber(9.99996e20, significant: 4) == "1e+21")
        #expect(formatNumber(5e-324) == "4.941e-324")
        #expect(formatRange(lower: -1.05e304, upper: 1.05e304) == "-1.05e+304–1.05e+304")
        // A narrow range of large numbers keeps the digits that tell its ends apart.
        #expect(formatRange(lower: 1e15, upper: 1.00001e15) == "1e+15–1.00001e+15")
        #expect(formatRange(lower: 123_456_789e10, upper: 123_456_999e10) == "1.23456789e+18–1.23456999e+18")
        var g = SeriesMaker(seed: 57)
        let times = SeriesMaker.daily(100)
        var values = times.indices.map { i in g.noisy(i % 7 >= 5 ? 400 : 1_000, relative: 0.03).rounded() }
        values[99] = 0
        let r = AnomalyDetector().detect(times: times, values: values)
        let reason = r.reason(at: 99)
        #expect(reason.hasPrefix("0 is below the expected range "))
        #expect(reason.hasSuffix("; weekly pattern"))
    }
}
