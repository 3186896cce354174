import Glibc
import Testing
@testable import TallyAnalysis

/// The slow-change views (`slow=`: the recent level against the level of the last few hundred points; `spread=`:
/// the recent rate of large moves against its usual rate), on generated series: each view must see its pattern,
/// and must stay quiet on series without it.
@Suite struct SlowChangeTests {
    /// A smooth, autocorrelated series like a machine temperature: AR(1) with φ = 0.98 around 70 (innovations of
    /// σ 0.5, so the series' own σ is about 2.5) plus a small daily cycle.
    static func temperature(_ n: Int, seed: UInt64) -> [Double] {
        var g = SeriesMaker(seed: seed)
        var a = 0.0
        return (0..<n).map { i in
            a = 0.98 * a + 0.5 * g.gaussian()
            return 70 + a + 1.5 * sin(Double(i) * 2 * Double.pi / 288)
        }
    }

    /// Independent noise around 50 (σ 1) with upward spikes of +8 at `rate` per point before `change` and
    /// `after` per point from `change` on.
    static func spiky(_ n: Int, rate: Double, after: Double, change: Int, seed: UInt64) -> [Double] {
        var g = SeriesMaker(seed: seed)
        return (0..<n).map { i in
            let p = i < change ? rate : after
            return 50 + g.gaussian() + (g.unit() < p ? 8 : 0)
        }
    }

    static let base = "sensitivity=3.5"

    func reasons(_ r: AnomalyResult, _ code: ReasonCode) -> [Int] { r.reasons.indices.filter { r.reasons[$0] == code } }

    @Test func aSlowRampInASmoothSeriesIsASlowChange() throws {
        let n = 4_000
        let times = SeriesMaker.fiveMinute(n)
        var caught = 0
        for seed: UInt64 in 1...5 {
            var values = Self.temperature(n, seed: seed)
            // From 3,000 the level ramps up by 15 (about six of the series' own σ) over 500 points, then stays.
            for i in 3_000..<n { values[i] += 15 * Swift.min(1, Double(i - 3_000) / 500) }
            let plain = try AnomalyDetector(Self.base).detect(times: times, values: values)
            let r = try AnomalyDetector(Self.base + " slow=4").detect(times: times, values: values)
            // The view adds flags, never changes the baseline.
            #expect(r.upper.indices.allSatisfy { r.upper[$0] == plain.upper[$0] || r.upper[$0].isNaN })
            #expect(r.expected.indices.allSatisfy { r.expected[$0] == plain.expected[$0] || r.expected[$0].isNaN })
            // The baseline alone misses most of it: the ramp trains its window and the band widens around it.
            let firstPlain = (3_000..<n).first { plain.anomaly[$0] }
            let firstSlow = reasons(r, .slowChange).first { $0 >= 3_000 }
            if let s = firstSlow, s < (firstPlain ?? n) && s < 3_600 {
                caught += 1
                #expect(r.details[s] == 1)
                #expect(r.reason(at: s).contains("recent level has moved up"))
            }
        }
        #expect(caught >= 4, "the slow view sees the ramp before the baseline in most seeds")
    }

    @Test func aStationarySmoothSeriesRaisesNoSlowChange() throws {
        let n = 6_000
        let times = SeriesMaker.fiveMinute(n)
        var total = 0
        for seed: UInt64 in 11...20 {
            let r = try AnomalyDetector(Self.base + " slow=4").detect(times: times, values: Self.temperature(n, seed: seed))
            total += reasons(r, .slowChange).count
        }
        // 10 × 6,000 points (208 days of five-minute data) of a wandering but unchanged series: a rare flag at most
        // (2 here; 4 at slow=3.5, 1 at 4.5).
        #expect(total <= 3, "\(total) slow-change flags on stationary series")
    }

    @Test func moreFrequentSpikesAreASpreadChange() throws {
        let n = 4_000
        let times = SeriesMaker.fiveMinute(n)
        var caught = 0
        for seed: UInt64 in 1...5 {
            // Spikes on 1% of points, then on 10% from 3,000.
            let values = Self.spiky(n, rate: 0.01, after: 0.1, change: 3_000, seed: seed)
            let r = try AnomalyDetector(Self.base + " spread=4").detect(times: times, values: values)
            if let s = reasons(r, .spreadChange).first(where: { $0 >= 3_000 }), s < 3_150 {
                caught += 1
                #expect(r.details[s] == 1)
                #expect(r.reason(at: s).contains("more frequent"))
            }
        }
        #expect(caught >= 4)
    }

    @Test func fewerSpikesAreASpreadChangeDown() throws {
        // Spikes on 15% of points, then on none from 3,000: the rate of large moves falls.
        let n = 4_000
        let times = SeriesMaker.fiveMinute(n)
        var caught = 0
        for seed: UInt64 in 1...5 {
            let values = Self.spiky(n, rate: 0.15, after: 0, change: 3_000, seed: seed)
            let r = try AnomalyDetector(Self.base + " spread=4").detect(times: times, values: values)
            if let s = reasons(r, .spreadChange).first(where: { $0 >= 3_000 }), s < 3_200, r.details[s] == -1 {
                caught += 1
                #expect(r.reason(at: s).contains("less frequent"))
            }
        }
        #expect(caught >= 4)
    }

    @Test func aViewAlertDoesNotSilenceALaterOutOfRangeAlert() throws {
        // After a slow-change alert, the refractory period still lets a value far out of range alert; the slow
        // change itself raises one alert, not one per point of the ramp.
        let n = 4_000
        var values = Self.temperature(n, seed: 2)
        for i in 3_000..<n { values[i] += 15 * Swift.min(1, Double(i - 3_000) / 500) }
        let times = SeriesMaker.fiveMinute(n)
        let probe = try AnomalyDetector(Self.base + " slow=4 refractory=500").detect(times: times, values: values)
        guard let s = reasons(probe, .slowChange).first(where: { $0 >= 3_000 }) else {
            Issue.record("no slow change on the ramp")
            return
        }
        #expect(probe.alert[s])
        values[s + 20] += 200
        let r = try AnomalyDetector(Self.base + " slow=4 refractory=500").detect(times: times, values: values)
        #expect(r.alert[s] && r.anomaly[s + 20] && r.alert[s + 20])
        #expect(reasons(r, .slowChange).filter { $0 > s && $0 <= s + 500 }.allSatisfy { !r.alert[$0] })
    }

    @Test func aStableSpikeRateRaisesNoSpreadChange() throws {
        let n = 6_000
        let times = SeriesMaker.fiveMinute(n)
        var total = 0
        for seed: UInt64 in 21...30 {
            let values = Self.spiky(n, rate: 0.03, after: 0.03, change: n, seed: seed)
            let r = try AnomalyDetector(Self.base + " spread=4 slow=4").detect(times: times, values: values)
            total += reasons(r, .spreadChange).count + reasons(r, .slowChange).count
        }
        #expect(total <= 2, "\(total) flags on a stable spike rate")
    }

    /// Independent noise around 50 (σ 1) with spikes that come in bursts: a burst starts on `rate` of the points and
    /// puts 2–5 spikes of +8 on random points of the next 10.
    static func bursty(_ n: Int, rate: Double, seed: UInt64) -> [Double] {
        var g = SeriesMaker(seed: seed)
        var values = (0..<n).map { _ in 50 + g.gaussian() }
        for i in 0..<n where g.unit() < rate {
            let spikes = 2 + Int(g.unit() * 4)
            for _ in 0..<spikes {
                let j = i + Int(g.unit() * 10)
                if j < n && values[j] < 55 { values[j] += 8 }
            }
        }
        return values
    }

    @Test func aStableButBurstySpikeProcessRaisesNoSpreadChange() throws {
        // Bursts of 2–5 spikes within 10 points, a burst every 100 points on average: the count of large moves in a
        // short window is often far above the long-run rate, but no more than the series' own past bursts.
        let n = 6_000
        let times = SeriesMaker.fiveMinute(n)
        var total = 0
        for seed: UInt64 in 31...40 {
            let r = try AnomalyDetector(Self.base + " spread=4").detect(times: times, values: Self.bursty(n, rate: 0.01, seed: seed))
            total += reasons(r, .spreadChange).count
        }
        #expect(total <= 2, "\(total) spread flags on a stable bursty process")
    }

    @Test func periodicSpikesRaiseNoSpreadChange() throws {
        // A nightly job: five-minute data with a daily cycle, and every night at about 02:00 (a few minutes later
        // each day) a burst of four spikes within seven points; on top, rare random spikes.
        let n = 6_000
        let times = SeriesMaker.fiveMinute(n)
        var total = 0
        for seed: UInt64 in 41...50 {
            var g = SeriesMaker(seed: seed)
            let values = (0..<n).map { i -> Double in
                let day = i / 288, phase = i % 288 - 24 - day % 12
                let job = phase >= 0 && phase <= 6 && phase % 2 == 0
                return 30 + 5 * sin(Double(i) * 2 * Double.pi / 288) + g.gaussian() + (job || g.unit() < 0.003 ? 12 : 0)
            }
            let r = try AnomalyDetector(Self.base + " spread=4").detect(times: times, values: values)
            total += reasons(r, .spreadChange).count
        }
        #expect(total <= 1, "\(total) spread flags on periodic spikes")
    }

    @Test func aModerateSustainedSpikeIncreaseIsSeen() throws {
        // Spikes on 1% of points, then on 4% from 3,000: no short burst, a higher rate that lasts.
        let n = 4_000
        let times = SeriesMaker.fiveMinute(n)
        var caught = 0
        for seed: UInt64 in 51...55 {
            let values = Self.spiky(n, rate: 0.01, after: 0.04, change: 3_000, seed: seed)
            let r = try AnomalyDetector(Self.base + " spread=4").detect(times: times, values: values)
            if let s = reasons(r, .spreadChange).first(where: { $0 >= 3_000 }), s < 3_400, r.details[s] == 1 { caught += 1 }
            #expect(reasons(r, .spreadChange).allSatisfy { $0 >= 3_000 })
        }
        #expect(caught >= 3, "caught in \(caught) of 5")
    }

    @Test func aNoiseLevelIncreaseIsSeen() throws {
        // Independent noise whose σ triples at 3,000 in a smooth series: the rate of large moves jumps.
        let n = 4_000
        let times = SeriesMaker.fiveMinute(n)
        var caught = 0
        for seed: UInt64 in 1...5 {
            var g = SeriesMaker(seed: seed + 100)
            var values = Self.temperature(n, seed: seed)
            for i in 3_000..<n { values[i] += 1.0 * g.gaussian() }
            let r = try AnomalyDetector(Self.base + " spread=4").detect(times: times, values: values)
            if let s = reasons(r, .spreadChange).first(where: { $0 >= 3_000 }), s < 3_100 { caught += 1 }
        }
        #expect(caught >= 4)
    }

    @Test func aWeeklySeasonalSeriesRaisesNoFlagFromTheViews() throws {
        try expectSeasonalSeriesRaiseNoViewFlags(daily: "slow=on spread=on", streaming: Self.base + " slow=4 spread=4") {
            reasons($0, .slowChange).count + reasons($0, .spreadChange).count
        }
    }

    @Test func theViewsAreWalkForwardAndOffByDefault() throws {
        let n = 3_500
        var values = Self.temperature(n, seed: 3)
        for i in 3_000..<n { values[i] += 8 * Swift.min(1, Double(i - 3_000) / 300) }
        let times = SeriesMaker.fiveMinute(n)
        let d = try AnomalyDetector(Self.base + " slow=on spread=on local=on")
        let full = d.detect(times: times, values: values)
        for cut in [2_000, 3_100, 3_250] {
            let part = d.detect(times: Array(times[..<cut]), values: Array(values[..<cut]))
            #expect(Array(full.anomaly[..<cut]) == part.anomaly)
            #expect(Array(full.alert[..<cut]) == part.alert)
            #expect(Array(full.reasons[..<cut]) == part.reasons)
        }
        let o = AnomalyOptions()
        #expect(o.slowSensitivity == nil && o.spreadSensitivity == nil)
        let p = try AnomalyOptions.parse("slow=on spread=4.5")
        #expect(p.slowSensitivity == 0 && p.spreadSensitivity == 4.5)
        #expect(try AnomalyOptions.parse(p.text) == p)
        #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse("spread=fast") }
    }
}
