// The decision rules of two peer tools, written here from their documented behaviour
// (../shared/reference/anomaly-detection-anchors.md §1), so that `tally-nab anchors` can score them on the same
// corpora as Tally. Each is walked forward the way the tool runs in production: every point is judged when it
// arrives, with the history before it, and raises an alert (NAB detection 1) when the tool would fail the check.

/// A peer's anomaly rule.
enum Anchor: String, CaseIterable {
    /// Elementary's defaults: z-score of the value against the mean and sample standard deviation of the last 14
    /// days of values *including the value itself* (`rows between unbounded preceding and current row`), failing
    /// at |z| > 3; no score with fewer than two values or no spread.
    case elementary
    /// The same with `exclude_detection_period_from_training` (2025 opt-in): the value is not in its own baseline.
    case elementaryExcluded = "elementary-excluded"
    /// Deequ's `OnlineNormalStrategy` as `isNewestPointNonAnomalous` runs it: mean and standard deviation of the
    /// whole history including the newest value (past anomalies stay in: only the newest point is in the search
    /// interval), failing outside mean ± 3σ.
    case deequ

    /// The alert column over a series.
    func alerts(times: [Int64], values: [Double]) -> [Bool] {
        switch self {
        case .elementary: trailingZAlerts(times: times, values: values, includeCurrent: true)
        case .elementaryExcluded: trailingZAlerts(times: times, values: values, includeCurrent: false)
        case .deequ: expandingNormalAlerts(values: values)
        }
    }
}

private let fourteenDaysMillis: Int64 = 14 * 86_400_000
private let peerSensitivity = 3.0

/// Elementary's rule over a 14-day trailing window kept as running sums (O(1) per point).
private func trailingZAlerts(times: [Int64], values: [Double], includeCurrent: Bool) -> [Bool] {
    var out = Array(repeating: false, count: values.count)
    var sum = 0.0, squares = 0.0, count = 0, first = 0
    func add(_ v: Double) { if !v.isNaN { sum += v; squares += v * v; count += 1 } }
    func remove(_ v: Double) { if !v.isNaN { sum -= v; squares -= v * v; count -= 1 } }
    for i in values.indices {
        while times[first] <= times[i] - fourteenDaysMillis { remove(values[first]); first += 1 }
        let v = values[i]
        if includeCurrent { add(v) }
        if !v.isNaN, count >= 2 {
            let mean = sum / Double(count)
            let variance = Swift.max(0, (squares - sum * mean) / Double(count - 1))
            out[i] = variance > 0 && Swift.abs(v - mean) / variance.squareRoot() > peerSensitivity
        }
        if !includeCurrent { add(v) }
    }
    return out
}

/// Deequ's online normal rule with the newest value in the statistics (Welford's running moments).
private func expandingNormalAlerts(values: [Double]) -> [Bool] {
    var out = Array(repeating: false, count: values.count)
    var mean = 0.0, m2 = 0.0, count = 0.0
    for (i, v) in values.enumerated() where !v.isNaN {
        count += 1
        let delta = v - mean
        mean += delta / count
        m2 += delta * (v - mean)
        guard count >= 2 else { continue }
        let deviation = (m2 / count).squareRoot()
        out[i] = deviation > 0 && Swift.abs(v - mean) > peerSensitivity * deviation
    }
    return out
}
