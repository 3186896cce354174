import Testing
#if canImport(Glibc)
import Glibc
#endif
import TallyAnalysis

/// Generated test series (seeded, so every run sees the same data).
struct SeriesMaker {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000
    /// 2024-01-01T00:00Z, a Monday.
    static let start: Int64 = 1_704_067_200_000

    /// Daily scan times at 02:00 UTC.
    static func daily(_ n: Int, from start: Int64 = start) -> [Int64] {
        (0..<n).map { start + 2 * hour + Int64($0) * day }
    }

    /// Hourly scan times.
    static func hourly(_ n: Int, from start: Int64 = start) -> [Int64] {
        (0..<n).map { start + Int64($0) * hour }
    }

    /// Five-minute sample times (streaming data, as in NAB).
    static func fiveMinute(_ n: Int) -> [Int64] { (0..<n).map { start + Int64($0) * 300_000 } }

    mutating func gaussian() -> Double { rng.nextGaussian() }
    mutating func unit() -> Double { rng.nextUnit() }

    /// `mean` with multiplicative Gaussian noise of `relative` standard deviation.
    mutating func noisy(_ mean: Double, relative: Double) -> Double { mean * (1 + relative * gaussian()) }

    /// Daily row counts with a weekly pattern: about 10,000 on weekdays and 4,000 at weekends (3% noise), the
    /// first point a Monday.
    mutating func weekdayRowCounts(_ n: Int) -> [Double] {
        (0..<n).map { i in noisy(i % 7 >= 5 ? 4_000 : 10_000, relative: 0.03).rounded() }
    }

    /// Five-minute values around 100 with a daily cycle of amplitude 20 and Gaussian noise of σ 2.
    mutating func fiveMinuteDailyCycle(_ n: Int) -> [Double] {
        (0..<n).map { i in 100 + 20 * sin(Double(i) * 2 * Double.pi / 288) + 2 * gaussian() }
    }

    /// Rounded noisy counts around `mean`.
    mutating func counts(_ n: Int, mean: Double, relative: Double) -> [Double] {
        (0..<n).map { _ in noisy(mean, relative: relative).rounded() }
    }
}

/// Whether two columns hold the same values, NaN equal to NaN (expected values and ranges are NaN in the cold start).
func sameValues(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
}

extension AnomalyResult {
    /// Indices of flagged points.
    var flagged: [Int] { anomaly.indices.filter { anomaly[$0] } }
    /// Indices of judged points (not cold start, not missing).
    var judged: [Int] { reasons.indices.filter { reasons[$0] != .coldStart && reasons[$0] != .missing } }
    func flagged(in range: Range<Int>) -> [Int] { flagged.filter { range.contains($0) } }
}

/// Seasonal series a view must leave alone: three years of daily row counts with a weekly pattern, where
/// `daily` options must flag exactly what the defaults flag, and 6,000 five-minute points with a daily cycle,
/// where `streaming` options may raise at most one of the view's flags (`viewFlags`).
func expectSeasonalSeriesRaiseNoViewFlags(daily: String, streaming: String,
                                          viewFlags: (AnomalyResult) -> Int) throws {
    var g = SeriesMaker(seed: 42)
    let times = SeriesMaker.daily(1_100)
    let values = g.weekdayRowCounts(times.count)
    let plain = try AnomalyDetector().detect(times: times, values: values)
    let r = try AnomalyDetector(daily).detect(times: times, values: values)
    #expect(r.anomaly == plain.anomaly)
    let cycle = g.fiveMinuteDailyCycle(6_000)
    let r2 = try AnomalyDetector(streaming).detect(times: SeriesMaker.fiveMinute(cycle.count), values: cycle)
    #expect(viewFlags(r2) <= 1)
}
