import TallyStorage
import TallyEncoding
import Glibc

/// How a set of values is combined into one (in `bucket`, `rolling`, `agg`, `top`/`bottom`).
///
/// Null values are skipped. With no non-null value the result is null, except `count`, which gives 0.
/// An ordinary NaN is a value: `count`, `first` and `last` treat it as any value, and the others give NaN.
public enum Aggregate: Sendable, Hashable, CustomStringConvertible {
    case avg, min, max, sum, count, first, last, stddev
    /// The p-th percentile, `0...100` (`median` is `p50`). Linear interpolation between the closest ranks:
    /// the value at rank `(n - 1) * p / 100` of the sorted values.
    case percentile(Double)

    /// The names the parser knows, besides any `pNN` with NN in 0...100.
    public static let names = ["avg", "min", "max", "sum", "count", "first", "last", "median",
                               "p50", "p90", "p95", "p99", "stddev"]

    /// The aggregate with this name: one of `names`, or `p` followed by a number in 0...100 (`p75`, `p99.9`).
    public init?(name: String) {
        switch name {
        case "avg": self = .avg
        case "min": self = .min
        case "max": self = .max
        case "sum": self = .sum
        case "count": self = .count
        case "first": self = .first
        case "last": self = .last
        case "stddev": self = .stddev
        case "median": self = .percentile(50)
        default:
            guard let p = Aggregate.percentile(named: name), p >= 0, p <= 100 else { return nil }
            self = .percentile(p)
        }
    }

    /// The percentile a `pNN` name stands for (`p99.9` → 99.9), in range or not; nil for any other name.
    static func percentile(named name: String) -> Double? {
        let digits = name.dropFirst()
        guard name.hasPrefix("p"), digits.first?.isASCII == true, digits.first?.isNumber == true,
              digits.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "." }) else { return nil }
        return Double(digits)
    }

    /// The name as written in queries (`p50` for the median).
    public var description: String {
        switch self {
        case .avg: return "avg"
        case .min: return "min"
        case .max: return "max"
        case .sum: return "sum"
        case .count: return "count"
        case .first: return "first"
        case .last: return "last"
        case .stddev: return "stddev"
        case .percentile(let p):
            return p == p.rounded() ? "p\(Int(p))" : "p\(p)"
        }
    }

    /// Whether storage can compute it from per-block statistics (count, sum, min, max, first, last).
    public var isDecomposable: Bool {
        switch self {
        case .avg, .min, .max, .sum, .count, .first, .last: return true
        case .stddev, .percentile: return false
        }
    }

    /// Combines `values[range]`, skipping nulls; `nil` when the result is null.
    ///
    /// - Complexity: O(n), or O(n log n) for percentiles.
    public func apply(_ values: ArraySlice<Double>) -> Double? {
        switch self {
        case .count:
            var n = 0
            for v in values where !NullValue.isNull(v) { n += 1 }
            return Double(n)
        case .first:
            return values.first(where: { !NullValue.isNull($0) })
        case .last:
            return values.last(where: { !NullValue.isNull($0) })
        case .sum, .avg:
            var total = OverflowSafeSum(), n = 0
            for v in values where !NullValue.isNull(v) { total.add(v); n += 1 }
            guard n > 0 else { return nil }
            return self == .sum ? total.total : total.mean(count: n)
        case .min, .max:
            var result: Double?
            for v in values where !NullValue.isNull(v) {
                if v.isNaN { return .nan }
                if let r = result {
                    result = self == .min ? Swift.min(r, v) : Swift.max(r, v)
                } else {
                    result = v
                }
            }
            return result
        case .stddev:
            // Population standard deviation, two passes for accuracy, on the values scaled by a power of two when
            // their squares would overflow or vanish (exact, so ordinary values give the same bits either way).
            var largest = 0.0, n = 0
            for v in values where !NullValue.isNull(v) {
                guard v.isFinite else { return .nan }   // NaN, or an infinity's undefined spread
                largest = Swift.max(largest, v.magnitude)
                n += 1
            }
            guard n > 0 else { return nil }
            let scale = Self.squareSafeScale(largest)
            var total = OverflowSafeSum()
            for v in values where !NullValue.isNull(v) { total.add(v * scale) }
            let mean = total.mean(count: n)
            var squares = 0.0
            for v in values where !NullValue.isNull(v) { squares += (v * scale - mean) * (v * scale - mean) }
            return sqrt(squares / Double(n)) / scale
        case .percentile(let p):
            var sorted: [Double] = []
            sorted.reserveCapacity(values.count)
            for v in values where !NullValue.isNull(v) {
                if v.isNaN { return .nan }
                sorted.append(v)
            }
            guard !sorted.isEmpty else { return nil }
            sorted.sort()
            return Self.percentile(p, count: sorted.count) { sorted[$0] }
        }
    }

    /// A power of two by which values of largest magnitude `largest` can be multiplied so that squares of their
    /// differences neither overflow nor vanish: 1 for ordinary magnitudes (2⁻⁴⁰⁰ to 2⁴⁰⁰, so ordinary values give the
    /// same bits as unscaled), 2⁻⁶⁰⁰ above them and 2⁶⁰⁰ below them (down to the smallest subnormal).
    static func squareSafeScale(_ largest: Double) -> Double {
        if largest > 0x1p400 { return 0x1p-600 }
        if largest < 0x1p-400 && largest > 0 { return 0x1p600 }
        return 1
    }

    /// The `p`-th percentile of `count` sorted values (`count > 0`), `smallest(k)` giving the `k`-th smallest
    /// (0-based): the value at rank `(count - 1) * p / 100`, interpolated linearly between the two closest ranks.
    ///
    /// Between two equal values it is that value (also when it is infinite); between an infinity and a finite
    /// value, the infinity; between -∞ and +∞, NaN. Between two finite values whose difference overflows (±1e308)
    /// it is still the weighted mean of the two. A `p` outside 0...100 (only possible in code) gives NaN.
    static func percentile(_ p: Double, count: Int, smallest: (Int) -> Double) -> Double {
        guard p >= 0, p <= 100 else { return .nan }   // `.percentile(150)` built in code names no rank
        let rank = Double(count - 1) * p / 100
        let lower = Int(rank.rounded(.down))
        let upper = Swift.min(lower + 1, count - 1)
        let fraction = rank - Double(lower)
        let a = smallest(lower)
        guard fraction != 0 else { return a }
        let b = smallest(upper)
        if a == b { return a }
        if a.isInfinite || b.isInfinite { return a.isInfinite && b.isInfinite ? .nan : (a.isInfinite ? a : b) }
        let difference = b - a
        return difference.isFinite ? a + difference * fraction : a * (1 - fraction) + b * fraction
    }

    /// Combines all of `values`, skipping nulls; `nil` when the result is null.
    public func apply(_ values: [Double]) -> Double? { apply(values[...]) }
}
