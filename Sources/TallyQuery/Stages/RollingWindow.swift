import TallyEncoding

/// The aggregates of every trailing window of a fixed number of values, for `rolling N AGG`.
///
/// Each window's aggregate is the one `Aggregate.apply` gives over the window's values (nulls skipped; `nil` when
/// the result is null), in O(count) for every aggregate but the percentiles and O(count log count) for them,
/// whatever the window size: a window of 100,000 points over a million costs no more than a window of 10.
///
/// - `avg`, `min`, `max`, `sum`, `count`, `first`, `last`, `stddev`: a queue of two stacks holding summaries
///   (count, sum, minimum, maximum, first, last, and mean and squared deviations merged as Chan et al. do), so that
///   values leave the window without being subtracted: a value far larger than the others cannot cancel their
///   sum when it leaves. Sums and standard deviations may differ from `Aggregate.apply` in the last bits (the
///   additions are grouped differently).
/// - percentiles: the window's values counted in a Fenwick tree over their ranks, so the two ranks the
///   interpolation needs are found in O(log count); the result is exactly that of `Aggregate.apply`.
enum RollingWindow {
    /// `aggregate` over `values[(i + 1 - n)...i]` at every `i >= n - 1`; `nil` (null) at the first `n - 1` indices.
    static func aggregates(_ values: [Double], window n: Int, _ aggregate: Aggregate) -> [Double?] {
        precondition(n >= 1, "RollingWindow: a window holds at least one value")
        guard values.count >= n else { return [Double?](repeating: nil, count: values.count) }
        if case .percentile(let p) = aggregate { return percentiles(values, window: n, p) }
        if aggregate == .stddev { return spreads(values, window: n) }
        return aggregates(values, window: n, aggregate, finitesScaledBy: 1)
    }

    /// Standard deviations of every window. Squares of huge (or tiny) values overflow (or vanish), so a window whose
    /// largest magnitude is outside 2^±400 takes its spread from the values scaled by a power of two
    /// (`Aggregate.squareSafeScale`, as `Aggregate.apply` does for one window): one more pass for each scale the
    /// series needs, none for ordinary series.
    private static func spreads(_ values: [Double], window n: Int) -> [Double?] {
        let plain = aggregates(values, window: n, .stddev, finitesScaledBy: 1)
        var scales = Set<Double>()
        for v in values where v.isFinite {
            let scale = Aggregate.squareSafeScale(v.magnitude)
            if scale != 1 { scales.insert(scale) }
        }
        guard !scales.isEmpty else { return plain }
        let largest = aggregates(values.map { NullValue.isNull($0) ? $0 : ($0.isFinite ? $0.magnitude : 0) },
                                 window: n, .max, finitesScaledBy: 1)
        var scaled: [Double: [Double?]] = [:]
        for scale in scales {
            scaled[scale] = aggregates(values.map { $0.isFinite ? $0 * scale : $0 }, window: n, .stddev,
                                       finitesScaledBy: scale)
        }
        return plain.indices.map { i in
            guard let l = largest[i] else { return plain[i] }
            return scaled[Aggregate.squareSafeScale(l)]?[i] ?? plain[i]
        }
    }

    /// `aggregates(_:window:_:)` on values whose finite ones were multiplied by `scale` (a power of two), each
    /// result divided by it.
    private static func aggregates(_ values: [Double], window n: Int, _ aggregate: Aggregate,
                                   finitesScaledBy scale: Double) -> [Double?] {

        var out = [Double?](repeating: nil, count: values.count)
        // The window is values[frontStart..<middle] (the front) followed by values[middle...i] (the back, summarised
        // in `back`). suffixes[k] summarises values[middle - 1 - k..<middle], so the front is suffixes[middle - 1 -
        // frontStart]: when a value leaves, the front's summary is the next suffix, and nothing is subtracted.
        var suffixes: [Summary] = []
        suffixes.reserveCapacity(n)
        var frontStart = 0, middle = 0
        var back = Summary()
        for i in values.indices {
            back = back.merged(with: Summary(values[i]))
            let windowStart = Swift.max(0, i + 1 - n)
            while frontStart < windowStart {
                if frontStart == middle {
                    // The front is empty: the back becomes the front, with the summary of each of its suffixes.
                    suffixes.removeAll(keepingCapacity: true)
                    var tail = Summary()
                    for j in stride(from: i, through: middle, by: -1) {
                        tail = Summary(values[j]).merged(with: tail)
                        suffixes.append(tail)
                    }
                    middle = i + 1
                    back = Summary()
                }
                frontStart += 1
            }
            guard i + 1 >= n else { continue }
            let front = frontStart < middle ? suffixes[middle - 1 - frontStart] : Summary()
            out[i] = front.merged(with: back).result(aggregate).map { $0 / scale }
        }
        return out
    }

    /// What a run of values holds, as far as the aggregates other than percentiles need to know.
    struct Summary {
        /// Non-null values, NaN included.
        var count = 0
        /// NaN values (not null).
        var nans = 0
        /// Infinite values (their standard deviation is NaN, as `Aggregate.apply` gives it).
        var infinities = 0
        /// The sum, mean, squared deviations from the mean, minimum and maximum of the values that are not NaN.
        var sum = OverflowSafeSum()
        var mean = 0.0, squares = 0.0
        var minimum = Double.infinity, maximum = -Double.infinity
        /// The first and last non-null values (NaN included).
        var first: Double?, last: Double?

        init() {}

        /// One value (nothing when it is null).
        init(_ v: Double) {
            guard !NullValue.isNull(v) else { return }
            count = 1
            first = v
            last = v
            if v.isNaN {
                nans = 1
            } else {
                if v.isInfinite { infinities = 1 }
                sum.add(v)
                mean = v
                minimum = v
                maximum = v
            }
        }

        /// The values of `self` followed by those of `later`.
        func merged(with later: Summary) -> Summary {
            if later.count == 0 { return self }
            if count == 0 { return later }
            var m = Summary()
            m.count = count + later.count
            m.nans = nans + later.nans
            m.infinities = infinities + later.infinities
            m.sum = sum
            m.sum.add(later.sum)
            m.minimum = Swift.min(minimum, later.minimum)
            m.maximum = Swift.max(maximum, later.maximum)
            m.first = first ?? later.first
            m.last = later.last ?? last
            let a = Double(count - nans), b = Double(later.count - later.nans)
            if a == 0 {
                (m.mean, m.squares) = (later.mean, later.squares)
            } else if b == 0 {
                (m.mean, m.squares) = (mean, squares)
            } else {
                let n = a + b, delta = later.mean - mean
                m.mean = mean + delta * (b / n)
                m.squares = squares + later.squares + delta * delta * (a * b / n)
            }
            return m
        }

        /// The aggregate of the values, as `Aggregate.apply` defines it (`nil` for null).
        func result(_ aggregate: Aggregate) -> Double? {
            if aggregate == .count { return Double(count) }
            guard count > 0 else { return nil }
            switch aggregate {
            case .first: return first
            case .last: return last
            default: break
            }
            if nans > 0 { return .nan }
            switch aggregate {
            case .sum: return sum.total
            case .avg: return sum.mean(count: count)
            case .min: return minimum
            case .max: return maximum
            case .stddev: return infinities > 0 ? .nan : (squares / Double(count)).squareRoot()
            default: return nil   // counts, first, last above; percentiles apart
            }
        }
    }

    /// `p`-th percentiles of every window, from a Fenwick tree of the counts of the window's values by rank.
    private static func percentiles(_ values: [Double], window n: Int, _ p: Double) -> [Double?] {
        // Ranks of the values that are neither null nor NaN; -1 for null, -2 for NaN.
        var sorted = values.filter { !NullValue.isNull($0) && !$0.isNaN }
        sorted.sort()
        var distinct: [Double] = []
        distinct.reserveCapacity(sorted.count)
        for v in sorted where distinct.last != v { distinct.append(v) }
        let ranks = values.map { v -> Int in
            if NullValue.isNull(v) { return -1 }
            if v.isNaN { return -2 }
            var lo = 0, hi = distinct.count   // the index of `v` in `distinct`
            while lo < hi {
                let mid = (lo + hi) / 2
                if distinct[mid] < v { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        var tree = FenwickCounts(size: distinct.count)
        var present = 0, nans = 0
        func update(_ i: Int, _ delta: Int) {
            switch ranks[i] {
            case -1: break
            case -2: nans += delta
            case let r: tree.add(r, delta); present += delta
            }
        }
        var out = [Double?](repeating: nil, count: values.count)
        for i in values.indices {
            update(i, 1)
            if i >= n { update(i - n, -1) }
            guard i + 1 >= n, present + nans > 0 else { continue }
            out[i] = nans > 0 ? .nan : Aggregate.percentile(p, count: present) { distinct[tree.rank(ofSmallest: $0)] }
        }
        return out
    }
}

/// Counts of values by rank in a Fenwick (binary indexed) tree: add and find the k-th smallest in O(log size).
private struct FenwickCounts {
    private var tree: [Int]
    private let highBit: Int

    init(size: Int) {
        tree = [Int](repeating: 0, count: size + 1)
        var bit = 1
        while bit * 2 <= size { bit *= 2 }
        highBit = size == 0 ? 0 : bit
    }

    /// Adds `delta` to the count of rank `rank` (0-based).
    mutating func add(_ rank: Int, _ delta: Int) {
        var k = rank + 1
        while k < tree.count {
            tree[k] += delta
            k += k & -k
        }
    }

    /// The rank of the `k`-th smallest value counted (0-based `k`, less than the total count).
    func rank(ofSmallest k: Int) -> Int {
        var position = 0, rest = k, bit = highBit
        while bit > 0 {
            let next = position + bit
            if next < tree.count && tree[next] <= rest {
                position = next
                rest -= tree[next]
            }
            bit /= 2
        }
        return position   // the 1-based index position + 1, as a 0-based rank
    }
}
