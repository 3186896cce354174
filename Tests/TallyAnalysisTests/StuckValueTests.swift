import Glibc
import Testing
@testable import TallyAnalysis

/// The stuck-value rule (docs/anomaly-detection.md §3.5) on low-volume counts: a run of zeros in a series that has
/// never been negative and has rested at 0 before is idle, not frozen (round 5, §7.2); a frozen nonzero value, a gauge
/// that has never been 0 stopping at 0, and a drop to zero from a busy level are still caught.
@Suite struct StuckValueTests {
    /// Five-minute event counts: Poisson with a daily cycle of rate 2…12, and quiet spells of 10–20 points at rate
    /// 0.15 starting on 1 point in 400 (an idle hour: mostly zeros, in runs). Optionally frozen at `frozen` over
    /// `frozenAt ..< frozenAt + 20`.
    static func counts(_ n: Int, seed: UInt64, frozen: Double? = nil, frozenAt: Int = 4_000) -> [Double] {
        var g = SeriesMaker(seed: seed)
        var quiet = 0
        return (0..<n).map { i in
            if quiet == 0 && g.unit() < 1.0 / 400 { quiet = 10 + Int(10 * g.unit()) }
            let daily = 2 + 10 * (1 + sin(2 * Double.pi * Double(i) / 288)) / 2
            let rate = quiet > 0 ? 0.15 : daily
            if quiet > 0 { quiet -= 1 }
            if let frozen, i >= frozenAt && i < frozenAt + 20 { return frozen }
            return Double(g.rng.nextPoisson(rate))
        }
    }

    static let times = SeriesMaker.fiveMinute(6_000)

    /// The longest run of zeros among the judged points.
    func longestZeroRun(_ values: [Double], from: Int) -> Int {
        var best = 0, run = 0
        for v in values[from...] {
            run = v == 0 ? run + 1 : 0
            best = Swift.max(best, run)
        }
        return best
    }

    @Test func lowVolumeCountsRestingAtZeroAreNotStuck() throws {
        let profiles = [AnomalyDetector(), AnomalyDetector(options: .streaming)]
        var zeroRuns = 0
        for seed in UInt64(1)...10 {
            let values = Self.counts(6_000, seed: seed)
            // The series must hold the runs this is about: zeros long enough for the repeat rate to call them stuck.
            if longestZeroRun(values, from: 600) >= 6 { zeroRuns += 1 }
            for d in profiles {
                let r = d.detect(times: Self.times, values: values)
                let stuckAtZero = r.reasons.indices.filter { r.reasons[$0] == .stuck && r.values[$0] == 0 }
                #expect(stuckAtZero.isEmpty, "seed \(seed), \(d.options.text): stuck at 0 at \(stuckAtZero.prefix(5))")
            }
        }
        #expect(zeroRuns >= 8, "the generated series have idle runs of 6 or more zeros (\(zeroRuns) of 10)")
    }

    @Test func aLowVolumeCountFrozenAboveZeroIsStillStuck() throws {
        // Frozen at 7 for 20 points around midday of the cycle (rate about 12): caught within 8 points.
        var caught = 0
        for seed in UInt64(1)...5 {
            let values = Self.counts(6_000, seed: seed, frozen: 7, frozenAt: 4_104)
            let r = AnomalyDetector().detect(times: Self.times, values: values)
            if let first = (4_104..<4_124).first(where: { r.reasons[$0] == .stuck }), first - 4_104 < 8 { caught += 1 }
        }
        #expect(caught >= 4, "a frozen nonzero count is stuck (\(caught) of 5 seeds)")
    }

    @Test func aGaugeThatHasNeverBeenZeroIsStuckAtZero() throws {
        // A wide gauge (3…43, never 0) whose range reaches down to 0, frozen at 0: its floor is not a place it has
        // rested before, so the run is stuck by the fourth zero, as a frozen nonzero value would be.
        var g = SeriesMaker(seed: 12)
        let values = (0..<150).map { _ in 3 + 40 * g.unit() } + Array(repeating: 0, count: 10)
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(160), values: values)
        #expect(r.lower[150] <= 0, "0 is inside the range, so only the stuck rule can see the run")
        #expect(r.reasons[153] == .stuck && r.anomaly[153], "\(r.reason(at: 153))")
    }

    @Test func aBusyCountDroppingToZeroIsNeverTakenForIdle() throws {
        // Daily row counts around 500 that drop to 0 for ten days: below the range at once, and never quiet after
        // the level shift is accepted (a metric that has never rested at 0 is stuck there, not idle).
        var g = SeriesMaker(seed: 11)
        let values = g.counts(60, mean: 500, relative: 0.04) + Array(repeating: 0, count: 10)
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(70), values: values)
        #expect(r.anomaly[60] && r.reasons[60] == .below, "\(r.reason(at: 60))")
        #expect((60..<70).allSatisfy { r.anomaly[$0] }, "\((60..<70).map { r.reasons[$0] })")
    }
}
