import TallyStorage
import TallyEncoding
/// `diff` and `rolling N AGG`: point-by-point stages within one series.
enum SequentialStages {
    /// Successive differences: each non-null value minus the last non-null value before it.
    ///
    /// The first non-null point has nothing before it and is dropped; a null point stays null.
    static func diff(_ s: ResultSeries) -> ResultSeries {
        var out = SeriesBuilder(like: s)
        var previous: Double?
        for i in 0..<s.count {
            guard let v = s.value(at: i) else {
                out.append(s.times[i], nil, reason: s.reason(at: i) ?? "the value is null")
                continue
            }
            if let p = previous { out.append(s.times[i], v - p) }
            previous = v
        }
        return out.build()
    }

    /// The aggregate of each trailing window of `n` points (the point itself and the `n - 1` before it).
    ///
    /// Windows count points, null or not; the aggregate skips nulls. The first `n - 1` points, whose window
    /// is not full yet, are null with a reason, so the output keeps every timestamp.
    ///
    /// - Complexity: O(count) for `sum`, `avg` and `count` (a running total, recomputed every `n` points so that
    ///   rounding cannot drift); O(count × n) for the others.
    static func rolling(_ s: ResultSeries, window n: Int, aggregate: Aggregate) -> ResultSeries {
        var out = SeriesBuilder(like: s)
        var running: RunningTotal? = [.sum, .avg, .count].contains(aggregate) ? RunningTotal() : nil
        for i in 0..<s.count {
            if running != nil {
                if i % n == 0 && i >= n {
                    running = RunningTotal(s.values[(i + 1 - n)..<i])   // the window minus the new point
                } else if i >= n {
                    running!.remove(s.values[i - n])
                }
                running!.add(s.values[i])
            }
            if i + 1 < n {
                out.append(s.times[i], nil, reason: "rolling window not full yet (\(i + 1) of \(n) points)")
            } else if let v = running.map({ $0.result(aggregate) }) ?? aggregate.apply(s.values[(i + 1 - n)...i]) {
                out.append(s.times[i], v)
            } else {
                out.append(s.times[i], nil, reason: "all values in the window are null")
            }
        }
        return out.build()
    }
}

/// A sum and count of non-null values that values can enter and leave.
private struct RunningTotal {
    var total = 0.0
    var count = 0
    var nans = 0

    init() {}

    init(_ values: ArraySlice<Double>) {
        for v in values { add(v) }
    }

    mutating func add(_ v: Double) {
        guard !NullValue.isNull(v) else { return }
        count += 1
        if v.isNaN { nans += 1 } else { total += v }
    }

    mutating func remove(_ v: Double) {
        guard !NullValue.isNull(v) else { return }
        count -= 1
        if v.isNaN { nans -= 1 } else { total -= v }
    }

    /// The same result `Aggregate.apply` gives over the window (`nil` for null).
    func result(_ aggregate: Aggregate) -> Double? {
        if aggregate == .count { return Double(count) }
        guard count > 0 else { return nil }
        if nans > 0 { return .nan }
        return aggregate == .sum ? total : total / Double(count)
    }
}
