/// Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013) for charts: returns the indices of at most
/// `threshold` points to keep, in ascending order.
///
/// The first and last points are always kept. The points between are split into `threshold − 2` buckets by
/// index; from each bucket the point forming the largest triangle with the previously kept point and the
/// average of the next bucket is kept, which preserves spikes and dips. Additionally the global minimum and
/// maximum are always kept (each replaces the pick of its own bucket; if both fall in the same bucket, one extra
/// index is returned), so no extreme is lost. NaN values are
/// never picked (a bucket of NaNs keeps its first index). Times may be irregular: the x axis is the time.
public func largestTriangleThreeBuckets(times: [Int64], values: [Double], threshold: Int) -> [Int] {
    precondition(times.count == values.count, "times and values must have the same length")
    let n = values.count
    if threshold >= n || n <= 2 { return Array(0..<n) }
    if threshold <= 0 { return [] }
    if threshold == 1 { return [0] }
    if threshold == 2 { return [0, n - 1] }

    let buckets = threshold - 2
    let every = Double(n - 2) / Double(buckets)
    @inline(__always) func bucketRange(_ b: Int) -> Range<Int> {
        let lo = Int(Double(b) * every) + 1
        let hi = b == buckets - 1 ? n - 1 : Int(Double(b + 1) * every) + 1
        return lo..<Swift.max(hi, lo + 1)
    }

    var keep = [0]
    keep.reserveCapacity(threshold)
    var a = 0
    let t0 = Double(times[0])
    for b in 0..<buckets {
        // Average of the next bucket (or the last point).
        var avgX = 0.0, avgY = 0.0, m = 0.0
        let next = b + 1 < buckets ? bucketRange(b + 1) : (n - 1)..<n
        for j in next where !values[j].isNaN {
            avgX += Double(times[j]) - t0
            avgY += values[j]
            m += 1
        }
        if m > 0 { avgX /= m; avgY /= m } else { avgX = Double(times[next.lowerBound]) - t0; avgY = values[a] }
        let ax = Double(times[a]) - t0
        let ay = values[a].isNaN ? avgY : values[a]
        var bestArea = -1.0
        var pick = bucketRange(b).lowerBound
        for j in bucketRange(b) where !values[j].isNaN {
            let area = Swift.abs((ax - avgX) * (values[j] - ay) - (ax - (Double(times[j]) - t0)) * (avgY - ay))
            if area > bestArea { bestArea = area; pick = j }
        }
        keep.append(pick)
        a = pick
    }
    keep.append(n - 1)

    // Keep the global extremes: each replaces the pick of its own bucket.
    var minI = -1, maxI = -1
    for j in 0..<n where !values[j].isNaN {
        if minI < 0 || values[j] < values[minI] { minI = j }
        if maxI < 0 || values[j] > values[maxI] { maxI = j }
    }
    for e in [minI, maxI] where e > 0 && e < n - 1 {
        let b = Swift.min(buckets - 1, Swift.max(0, Int(Double(e - 1) / every)))
        var slot = b + 1
        if !bucketRange(b).contains(e) {
            // Floating-point edge: find the bucket by scanning neighbours.
            for c in Swift.max(0, b - 1)...Swift.min(buckets - 1, b + 1) where bucketRange(c).contains(e) { slot = c + 1 }
        }
        if keep[slot] == e { continue }
        if keep[slot] == minI || keep[slot] == maxI {
            // Both extremes share a bucket: keep both (one index over the threshold).
            keep.insert(e, at: e < keep[slot] ? slot : slot + 1)
        } else {
            keep[slot] = e
        }
    }
    return keep
}
