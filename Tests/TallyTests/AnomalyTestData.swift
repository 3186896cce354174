import Foundation
import Tally
import TallyAnalysis
import TallyTestSupport

/// Generated series with known incidents, written into a temporary store.
enum AnomalyTestData {
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000
    /// 2024-01-01T06:00:00Z, a Monday.
    static let start: Int64 = 1_704_088_800_000

    /// A deterministic Gaussian noise source.
    struct Noise {
        var rng: SeededGenerator

        init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

        mutating func gaussian() -> Double {
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng)
            let u2 = Double.random(in: 0..<1, using: &rng)
            return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }

        /// `level` with relative Gaussian noise, rounded to a whole count.
        mutating func count(_ level: Double, relative: Double) -> Double {
            (level * (1 + relative * gaussian())).rounded()
        }
    }

    /// Daily times from `start`.
    static func daily(_ n: Int) -> [Int64] { (0..<n).map { start + Int64($0) * day } }

    /// Whether daily point `i` falls on a Saturday or Sunday (`start` is a Monday).
    static func isWeekend(_ i: Int) -> Bool { i % 7 >= 5 }

    /// A store with the given series written in one batch.
    static func store(_ dir: TemporaryDirectory, _ series: [(SeriesKey, [Int64], [Double?])],
                      name: String = "store") throws -> Store {
        let store = try Store.open(at: dir.child(name))
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "anomaly tests"))
        for (key, times, values) in series {
            let s = batch.addSeries(key)
            for (t, v) in zip(times, values) { batch.append(series: s, time: t, value: v) }
        }
        try store.write(batch)
        return store
    }

    static func key(_ dataset: String, metric: String = "row_count") -> SeriesKey {
        SeriesKey(metric: metric, labels: ["dataset": dataset])
    }

    /// Whether a column cell is the null marker.
    static func isNull(_ v: Double) -> Bool { optionalValue(v) == nil }

    /// A query time literal.
    static func text(_ t: Int64) -> String { TimeText.format(t) }
}
