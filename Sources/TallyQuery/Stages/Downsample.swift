/// `downsample N`: at most N points per series, keeping the shape (Largest-Triangle-Three-Buckets).
enum DownsampleStage {
    /// At most `n` points of `s` (`n >= 2`).
    ///
    /// A series with at most `n` points is returned unchanged. Otherwise the null points are set aside and
    /// the first and last non-null points are kept; the points between are split into `n - 2` equal runs,
    /// and from each run the point is kept that forms the largest triangle with the point kept before it and
    /// the average of the next run. Peaks and dips survive, because they make large triangles.
    static func evaluate(_ s: ResultSeries, maxPoints n: Int) -> ResultSeries {
        guard s.count > n else { return s }
        let points = (0..<s.count).filter { !s.isNull(at: $0) }
        guard points.count > n else { return s.selecting(points) }
        if n == 2 { return s.selecting([points[0], points[points.count - 1]]) }

        func x(_ k: Int) -> Double { Double(s.times[points[k]]) }
        func y(_ k: Int) -> Double { s.values[points[k]] }

        var kept = [0]
        kept.reserveCapacity(n)
        let runs = n - 2
        let middle = Double(points.count - 2)
        func runBounds(_ r: Int) -> Range<Int> {
            let lo = 1 + Int((Double(r) * middle / Double(runs)).rounded(.down))
            let hi = 1 + Int((Double(r + 1) * middle / Double(runs)).rounded(.down))
            return lo..<Swift.min(hi, points.count - 1)
        }
        var a = 0
        for r in 0..<runs {
            let run = runBounds(r)
            // The average of the next run (or the last point after the last run).
            let next = r + 1 < runs ? runBounds(r + 1) : (points.count - 1)..<points.count
            var avgX = 0.0, avgY = 0.0
            for k in next { avgX += x(k); avgY += y(k) }
            avgX /= Double(next.count)
            avgY /= Double(next.count)
            var best = run.lowerBound, bestArea = -1.0
            for k in run {
                // Twice the triangle's area; the factor does not change which is largest.
                let area = abs((x(a) - avgX) * (y(k) - y(a)) - (x(a) - x(k)) * (avgY - y(a)))
                if area > bestArea {
                    bestArea = area
                    best = k
                }
            }
            kept.append(best)
            a = best
        }
        kept.append(points.count - 1)
        return s.selecting(kept.map { points[$0] })
    }
}
