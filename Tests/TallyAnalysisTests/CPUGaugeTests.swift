import Glibc
import Testing
@testable import TallyAnalysis

/// CPU-like gauges (values in 0…100 that wander within a noisy band, with isolated spikes): which views see a
/// sustained level step or a rise of the noise (docs/anomaly-detection.md §3.11, §7.2 round 4), and the `noise`
/// view's must-see and must-not-alert series.
@Suite struct CPUGaugeTests {
    /// Around 30: an AR(1) wander of stationary σ `wander` (φ = `phi`), independent noise of σ 3 (× `noiseFactor`
    /// inside the change), a level step of `step` noise σ inside the change, isolated upward spikes of +25…+50 on
    /// 0.3% of points, clipped to 0…100. The change covers `change ..< change + length`.
    static func gauge(_ n: Int, seed: UInt64, change: Int = 3_000, length: Int = 500, step: Double = 0,
                      noiseFactor: Double = 1, phi: Double = 0.995, wander: Double = 4) -> [Double] {
        var g = SeriesMaker(seed: seed)
        var a = 0.0
        let innovation = wander * (1 - phi * phi).squareRoot()
        return (0..<n).map { i in
            a = phi * a + innovation * g.gaussian()
            let inside = i >= change && i < change + length
            var v = 30 + a + (inside ? 3 * step : 0) + 3 * (inside ? noiseFactor : 1) * g.gaussian()
            if g.unit() < 0.003 { v += 25 + 25 * g.unit() }
            return Swift.min(100, Swift.max(0, v))
        }
    }

    /// Round 2's streaming profile in text form (`AnomalyOptions.streaming` until round 5 added `spread=4`).
    static let streaming = "sensitivity=3.5 local=4.5 refractory=100 likelihood=on recurring=on slow=3.5"
    static let times = SeriesMaker.fiveMinute(4_000)

    func noiseFlags(_ r: AnomalyResult) -> [Int] {
        r.reasons.indices.filter { r.reasons[$0] == .slowChange && Swift.abs(r.details[$0]) == 2 }
    }

    /// The first flag after the change that is not on an isolated spike (those are flagged anyway).
    func firstChangeFlag(_ r: AnomalyResult, below: Double = 55) -> Int? {
        (3_000..<3_500).first { r.anomaly[$0] && r.values[$0] < below }.map { $0 - 3_000 }
    }

    @Test func aLevelStepOnANoisyGaugeIsSeenByTheExistingViews() throws {
        // Independent noise: a step of two noise widths is seen by the band or the drift watch (§3.6).
        var caught = 0
        for seed in UInt64(1)...5 {
            let v = Self.gauge(4_000, seed: seed, step: 2, phi: 0, wander: 0)
            let r = try AnomalyDetector(Self.streaming).detect(times: Self.times, values: v)
            if let f = firstChangeFlag(r, below: 60), f < 150 { caught += 1 }
        }
        #expect(caught >= 4)
        // A wandering gauge (wander σ 4 against noise σ 3): a step of three noise widths is seen, mostly by `slow`.
        var wandering = 0
        for seed in UInt64(1)...5 {
            let v = Self.gauge(4_000, seed: seed, step: 3)
            let r = try AnomalyDetector(Self.streaming).detect(times: Self.times, values: v)
            if let f = firstChangeFlag(r, below: 60), f < 250 { wandering += 1 }
        }
        #expect(wandering >= 3)
    }

    @Test func aNoiseRiseIsANoiseChange() throws {
        for (phi, wander) in [(0.0, 0.0), (0.995, 4.0)] {
            var doubled = 0, half = 0
            for seed in UInt64(1)...5 {
                let v2 = Self.gauge(4_000, seed: seed, noiseFactor: 2, phi: phi, wander: wander)
                let r2 = try AnomalyDetector(Self.streaming + " noise=4").detect(times: Self.times, values: v2)
                if let f = noiseFlags(r2).first(where: { $0 >= 3_000 }), f < 3_100 { doubled += 1 }
                let v15 = Self.gauge(4_000, seed: seed, noiseFactor: 1.5, phi: phi, wander: wander)
                let r15 = try AnomalyDetector(Self.streaming + " noise=4").detect(times: Self.times, values: v15)
                if let f = noiseFlags(r15).first(where: { $0 >= 3_000 }), f < 3_300 { half += 1 }
                #expect(noiseFlags(r15).filter { $0 < 3_000 }.count <= 1)
            }
            #expect(doubled >= 4)
            #expect(half >= 3)
        }
    }

    @Test func aStationaryGaugeWithIsolatedSpikesRaisesNoNoiseChange() throws {
        let n = 6_000
        let times = SeriesMaker.fiveMinute(n)
        var total = 0
        for seed in UInt64(11)...20 {
            let v = Self.gauge(n, seed: seed, change: n, phi: seed % 2 == 0 ? 0 : 0.995)
            let plain = try AnomalyDetector(Self.streaming).detect(times: times, values: v)
            let r = try AnomalyDetector(Self.streaming + " noise=4").detect(times: times, values: v)
            total += noiseFlags(r).count
            // The view changes nothing else: every other flag and the ranges are as without it.
            #expect(sameValues(r.expected, plain.expected))
            #expect(r.anomaly.indices.allSatisfy { r.anomaly[$0] == plain.anomaly[$0] || noiseFlags(r).contains($0) })
        }
        #expect(total <= 1)
    }

    @Test func seasonalSeriesRaiseNoNoiseChange() throws {
        try expectSeasonalSeriesRaiseNoViewFlags(daily: "noise=on", streaming: Self.streaming + " noise=4") {
            noiseFlags($0).count
        }
    }

    @Test func theNoiseViewIsWalkForwardAndOffByDefault() throws {
        let v = Self.gauge(4_000, seed: 7, noiseFactor: 2)
        let d = try AnomalyDetector(Self.streaming + " noise=4")
        let full = d.detect(times: Self.times, values: v)
        for cut in [2_500, 3_050, 3_300] {
            let part = d.detect(times: Array(Self.times[..<cut]), values: Array(v[..<cut]))
            #expect(Array(full.anomaly[..<cut]) == part.anomaly)
            #expect(Array(full.reasons[..<cut]) == part.reasons)
        }
        #expect(AnomalyOptions().noiseSensitivity == nil)
        #expect(AnomalyOptions.streaming.noiseSensitivity == nil)
        let o = try AnomalyOptions.parse("noise=4.5")
        #expect(o.noiseSensitivity == 4.5)
        #expect(try AnomalyOptions.parse(o.text) == o)
        #expect(!AnomalyOptions().text.contains("noise"))
        if let f = noiseFlags(full).first { #expect(full.reason(at: f).contains("noisier")) }
    }
}
