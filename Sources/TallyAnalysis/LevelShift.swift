/// Detects a persistent level shift so the baseline can restart instead of alarming forever (the lock-in that
/// excluding anomalies causes in Deequ-style detectors).
///
/// A shift is confirmed when the last `k` judged points were all flagged on the same side *and* their
/// deviations from the old expectation are level rather than still moving: the difference between the medians of
/// the run's first and second halves is within 2.5 noise units, where the noise comes from the run's own
/// successive differences, and their spread is within 3 old noise units (or a quarter of the shift). A value
/// that keeps growing (freshness climbing hour after hour, a drift) is
/// therefore not accepted as a new level and keeps alerting; a step that stays put is accepted after k points.
struct LevelShiftTracker {
    let k: Int
    private(set) var run: [Int] = []
    private var deviations: [Double] = []
    private var side: Int8 = 0

    init(k: Int) { self.k = k }

    mutating func reset() {
        // The walk resets after every point inside its band: nothing to do unless a run is open (an open run
        // always has a point, and side is 0 without one).
        guard !run.isEmpty || side != 0 else { return }
        run.removeAll(keepingCapacity: true)
        deviations.removeAll(keepingCapacity: true)
        side = 0
    }

    /// Records a flagged point (side +1 above, −1 below) with its deviation from the expected value.
    /// Returns the run's indices when a shift is confirmed (the caller re-baselines and calls `reset`).
    mutating func flagged(index: Int, side s: Int8, deviation: Double, sigma: Double) -> [Int]? {
        guard k >= 2 else { return nil }
        if s != side { reset(); side = s }
        run.append(index)
        deviations.append(deviation)
        if run.count > k {
            run.removeFirst()
            deviations.removeFirst()
        }
        guard run.count == k, isLevel(deviations, sigma: sigma) else { return nil }
        return run
    }
}

/// True when a short run of deviations looks like a stable level rather than a ramp or a burst.
/// `sigma` is the old model's robust standard deviation on the run's side.
func isLevel(_ d: [Double], sigma: Double) -> Bool {
    let n = d.count
    guard n >= 2 else { return false }
    var diffs: [Double] = []
    for i in 1..<n { diffs.append(d[i] - d[i - 1]) }
    // Noise from the successive differences: mean absolute deviation around their median (steadier than a
    // median with four or five differences), scaled to σ of one point.
    let md = median(diffs)
    let meanAbs = diffs.reduce(0) { $0 + Swift.abs($1 - md) } / Double(diffs.count)
    let noise = 1.2533 * meanAbs / 1.4142135623730951
    let half = Swift.max(1, n / 2)
    let first = median(Array(d[0..<half]))
    let second = median(Array(d[(n - half)...]))
    let scale = Swift.max(Swift.abs(first), Swift.abs(second))
    guard Swift.abs(second - first) <= 2.5 * noise + 1e-9 * scale else { return false }
    // A burst (a spike lasting a few points) varies far more than the old noise; a shifted level does not
    // (noise may scale with the level, hence the relative allowance).
    let m = median(d)
    let spread = 1.4826 * median(d.map { Swift.abs($0 - m) })
    return spread <= Swift.max(3 * sigma, 0.25 * Swift.abs(m))
}
