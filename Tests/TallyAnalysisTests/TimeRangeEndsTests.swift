import Testing

@testable import TallyAnalysis

/// Times may span the whole `Int64` range (a store keeps years −292 million to +292 million): the detectors must
/// neither trap on a gap that does not fit in 64 bits nor allocate by the length of a gap.
@Suite("Detectors at the ends of the time range")
struct TimeRangeEndsTests {
    static let day: Int64 = 86_400_000

    /// Series whose times reach the ends of `Int64` or have gaps wider than half of it.
    static let series: [(name: String, times: [Int64], values: [Double])] = [
        ("both ends", [.min, 0, .max - 1], [1, 2, 3]),
        ("spread over the range", (0..<25).map { Int64.min + Int64($0) * (Int64.max / 25) }
            + (0..<25).map { Int64($0) * (Int64.max / 25) }, (0..<50).map { Double($0 % 3) }),
        ("daily from the first time", (0..<200).map { Int64.min + Int64($0) * day }, (0..<200).map { Double($0 % 7) }),
        ("daily up to the last time", (0..<200).map { Int64.max - 1 - Int64(199 - $0) * day },
            (0..<200).map { Double($0 % 7) }),
        ("a year of days, a gap of the whole range, a year of days",
            (0..<365).map { Int64.min + Int64($0) * day } + (0..<365).map { Int64.max - 1 - Int64(364 - $0) * day },
            (0..<730).map { Double(100 + $0 % 7) }),
    ]

    @Test(arguments: ["", "profile=streaming", "method=seasonal season=1d", "method=holt_winters season=7d",
                      "method=seasonal season=3650d",
                      "training=30d refractory=2h recurring=on local=on slow=on spread=on noise=on"])
    func everyDetectorWalksEverySeries(options: String) throws {
        let detector = try AnomalyDetector(options)
        for s in Self.series {
            let r = detector.detect(times: s.times, values: s.values)
            #expect(r.count == s.times.count, "\(s.name)")
            #expect(detector.checkLatest(times: s.times, values: s.values)?.time == s.times.last, "\(s.name)")
            let f = detector.forecast(times: s.times, values: s.values, horizon: 30)
            // Future times increase and stop before the end of the range.
            #expect(zip(f.times, f.times.dropFirst()).allSatisfy { $0 < $1 }, "\(s.name)")
            #expect(f.times.allSatisfy { $0 > s.times.last! && $0 < .max }, "\(s.name)")
            for i in 0..<r.count { #expect(!r.reason(at: i).isEmpty) }
        }
    }

    /// A season's multiples (two cycles, a profile of several) trapped for seasons of millions of weeks; the
    /// longest is ten years, and a longer one set in code counts as none.
    @Test func seasonsLongerThanTenYearsAreRefusedOrIgnored() throws {
        #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse("season=2000000w") }
        #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse("season=3651d") }
        var options = try AnomalyOptions.parse("method=seasonal")
        options.season = .period(Int64.max / 2)
        let detector = AnomalyDetector(options: options)
        for s in Self.series {
            #expect(detector.detect(times: s.times, values: s.values).count == s.times.count, "\(s.name)")
        }
    }

    @Test func backtestAndDownsamplingTakeTheSameSeries() {
        for s in Self.series {
            let b = backtest(times: s.times, values: s.values,
                             settings: [BacktestSetting(method: .auto, sensitivity: 4), BacktestSetting(method: .seasonal, sensitivity: 3)])
            #expect(b.count == 2, "\(s.name)")
            // The threshold, plus the global minimum and maximum when no bucket kept them.
            let kept = largestTriangleThreeBuckets(times: s.times, values: s.values, threshold: 10)
            #expect(kept.first == 0 && kept.last == s.times.count - 1 && kept.count <= 10 + 2, "\(s.name)")
        }
    }

    /// A forecast ends with the range of times: the last time a point can have is one millisecond before `Int64.max`.
    @Test func aForecastNearTheEndStopsThere() throws {
        let detector = try AnomalyDetector("")
        let times = (0..<100).map { Int64.max - 1 - Int64(99 - $0) * Self.day }
        let f = detector.forecast(times: times, values: (0..<100).map { Double($0 % 5) }, horizon: 14)
        #expect(f.times.isEmpty)
        let earlier = times.map { $0 - 10 * Self.day }
        let g = detector.forecast(times: earlier, values: (0..<100).map { Double($0 % 5) }, horizon: 14)
        #expect(g.times == (1...10).map { earlier.last! + Int64($0) * Self.day })
    }

    @Test func gapsSaturateInsteadOfOverflowing() {
        #expect(timeGap(.max, .min) == .max && timeGap(.min, .max) == .min && timeGap(5, 3) == 2)
        #expect(timeShift(.max - 1, by: 2) == .max && timeShift(.min + 1, by: -2) == .min && timeShift(1, by: -3) == -2)
        #expect(medianStep([.min, 0, .max], in: 0..<3) == .max)
        #expect(medianStep([0, 10, 20, 40], in: 0..<4) == 10)
    }

    /// Cycles without points take no room, and an incomplete cycle borrows the level of the nearest complete one
    /// counted in cycles (the earlier on a tie), across empty cycles.
    @Test func cycleLevelsSkipEmptyCyclesAndBorrowFromTheNearest() {
        let period: Int64 = 10
        // Cycle 0: four points at level 1; cycles 1 and 2 empty; cycle 3: one point (incomplete); cycle 4: four
        // points at level 5; then a gap of about 10¹⁸ cycles and one incomplete cycle.
        let times: [Int64] = [0, 2, 4, 6, 31, 40, 42, 44, 46, .max - 1]
        let values: [Double] = [1, 1, 1, 1, 99, 5, 5, 5, 5, 7]
        let levels = cycleLevels(times: times, values: values, idx: Array(times.indices), period: period)
        #expect(levels == [1, 1, 1, 1, 5, 5, 5, 5, 5, 5])
        // Equally far from two complete cycles: the earlier one.
        let tie = cycleLevels(times: [0, 2, 4, 6, 21, 40, 42, 44, 46], values: [1, 1, 1, 1, 9, 5, 5, 5, 5],
                              idx: Array(0..<9), period: period)
        #expect(tie[4] == 1)
    }

    /// Ramps: a line through the complete cycles' medians at their middles, extended by the nearest segment for at
    /// most one period, so the point after a gap of about 10¹⁸ cycles gets a level near the data.
    @Test func rampLevelsFollowTheCycleMediansAndStopOnePeriodOut() {
        let period: Int64 = 10
        // Cycle 0 (middle 5): level 1; cycle 4 (middle 45): level 5; slope 0.1 per time unit.
        let times: [Int64] = [0, 2, 4, 6, 8, 31, 40, 42, 44, 46, 48, .max - 1]
        let values: [Double] = [1, 1, 1, 1, 1, 99, 5, 5, 5, 5, 5, 7]
        let levels = cycleLevels(times: times, values: values, idx: Array(times.indices), period: period, ramps: true)
        let expected: [Double] = [0.5, 0.7, 0.9, 1.1, 1.3, 3.6, 4.5, 4.7, 4.9, 5.1, 5.3, 6]
        for (level, want) in zip(levels, expected) { #expect(Swift.abs(level - want) < 1e-9, "\(levels)") }
        // One complete cycle is no line: steps.
        let one = cycleLevels(times: [0, 2, 4, 6], values: [1, 2, 3, 4], idx: Array(0..<4), period: period, ramps: true)
        #expect(one == [2.5, 2.5, 2.5, 2.5])
    }

    /// The staircase test for a trend seen through step profiles: cycle medians that rise (or fall) from every
    /// cycle with two points to the next; a flat or turning step, or a single cycle, is no staircase. Cycles with
    /// one point and a gap of about 10¹⁸ cycles take no room.
    @Test func cycleMediansMoveOneWayOnlyOnAStaircase() {
        let times: [Int64] = [0, 2, 10, 12, 25, 30, 32, .max - 3, .max - 1]
        func moves(_ v: [Double]) -> Bool {
            cycleMediansMoveOneWay(v, times: times, idx: Array(times.indices), period: 10)
        }
        #expect(moves([1, 1, 2, 2, 99, 3, 3, 4, 4]))
        #expect(moves([4, 4, 3, 3, -99, 2, 2, 1, 1]))
        #expect(!moves([1, 1, 2, 2, 0, 2, 2, 4, 4]))   // a flat step
        #expect(!moves([1, 1, 3, 3, 0, 2, 2, 4, 4]))   // a turn
        #expect(!cycleMediansMoveOneWay([1, 2, 3], times: [0, 1, 2], idx: [0, 1, 2], period: 10))
        #expect(roughness([1, 2, 3, 4]) == 0 && roughness([1, 1, 2, 2]) == 2)
    }
}
