import Glibc

// From per-point flags to alerts: a refractory period after each alert, the optional likelihood gate, and the
// optional check for recurring flags.

/// Short window (judged points) of the likelihood gate's mean surprise.
let likelihoodShortWindow = 10
/// Long window (judged points) over which the distribution of short means is estimated.
let likelihoodLongWindow = 2000
/// Short means needed before the gate can close (with fewer, there is nothing to compare with).
let likelihoodMinimumHistory = 100
/// The gate opens when the upper tail probability of the current short mean is at most this (z ≥ 1.28).
let likelihoodGateTail = 0.1

/// The alert column of a walk: flagged points, thinned by the refractory period and, if enabled, the likelihood
/// gate. Depends only on each point and the points before it (so it is walk-forward like the rest).
///
/// The likelihood gate (after Ahmad, Lavin, Purdy & Agha 2017, "Unsupervised real-time anomaly detection for
/// streaming data"): each judged point's surprise is |deviation| capped at twice the sensitivity, divided by
/// that cap (0…1). The mean surprise of the last 10 judged points is compared with the mean and standard
/// deviation of the previous such means over the last 2,000 judged points; the flag alerts only when the current
/// mean is in the upper 10% Gaussian tail. A well-modelled series has a low, steady mean surprise, so its flags
/// pass; a bursty or poorly modelled one has a high, variable mean surprise, so only its unusual stretches do.
///
/// `surprise` is what the gate sees (|deviation|, or with the local view the larger surprise, §3.10; nil: the
/// deviation); `deviation` and `details` give each flag's side for the recurrence check.
func alerts(anomaly: [Bool], deviation: [Double], surprise: [Double]? = nil, reasons: [ReasonCode],
            details: [Int32], times: [Int64], options: AnomalyOptions) -> [Bool] {
    if case .off = options.refractory, !options.likelihoodGate, !options.recurring { return anomaly }
    let n = anomaly.count
    var out = Array(repeating: false, count: n)
    var gate = LikelihoodGate(cap: 2 * options.sensitivity)
    var lastAlert = -1
    var lastViewAlert = -1
    var recurring = RecurrenceCheck(times: times, enabled: options.recurring)
    for i in 0..<n {
        let judged = reasons[i] != .coldStart && reasons[i] != .missing
        var open = true
        if options.likelihoodGate && judged { open = gate.observe(surprise?[i] ?? deviation[i]) }
        guard anomaly[i] else { continue }
        // The slow-change views judge a statistic against its own history already: the gate does not hold them.
        let ownHistory = reasons[i] == .slowChange || reasons[i] == .spreadChange
        if ownHistory { open = true }
        // The side of the flag: a jump's, a drift's or a slow change's own direction, else the side of the
        // expected value.
        let up = reasons[i] == .jump || reasons[i] == .drift || ownHistory ? details[i] > 0 : deviation[i] >= 0
        let repeats = recurring.observeFlag(i, side: up ? 1 : -1)
        guard open && !repeats else { continue }
        // A slow-change alert is quiet after any alert; it does not itself silence a later out-of-range value,
        // jump, drift or stuck alert (those are quiet only after one of their own kind).
        let since = ownHistory ? Swift.max(lastAlert, lastViewAlert) : lastAlert
        if since >= 0 {
            switch options.refractory {
            case .off: break
            case .points(let r): if i - since <= r { continue }
            case .duration(let d): if times[i] - times[since] <= d { continue }
            }
        }
        out[i] = true
        if ownHistory { lastViewAlert = i } else { lastAlert = i }
    }
    return out
}

/// Running state of the likelihood gate: a ring of the last surprises (short window) and a ring of the last
/// short means (long window) with running sums. O(1) per point.
struct LikelihoodGate {
    let cap: Double
    private var surprises = Array(repeating: 0.0, count: likelihoodShortWindow)
    private var means = Array(repeating: 0.0, count: likelihoodLongWindow)
    private var seen = 0
    private var shortSum = 0.0
    private var sum = 0.0
    private var sumSquares = 0.0

    init(cap: Double) { self.cap = Swift.max(cap, 1e-9) }

    /// Feeds the deviation of the next judged point; returns whether the gate is open for it.
    mutating func observe(_ deviation: Double) -> Bool {
        let a = deviation.isNaN ? 0 : Swift.min(Swift.abs(deviation), cap) / cap
        let slot = seen % likelihoodShortWindow
        if seen >= likelihoodShortWindow { shortSum -= surprises[slot] }
        surprises[slot] = a
        shortSum += a
        let mean = shortSum / Double(Swift.min(seen + 1, likelihoodShortWindow))
        // Compare with the previous short means (strictly before this point).
        let k = Swift.min(seen, likelihoodLongWindow)
        var open = true
        if k >= likelihoodMinimumHistory {
            let mu = sum / Double(k)
            let variance = Swift.max(sumSquares / Double(k) - mu * mu, 1e-12)
            let z = (mean - mu) / variance.squareRoot()
            open = 0.5 * erfc(z / 1.4142135623730951) <= likelihoodGateTail
        }
        let ring = seen % likelihoodLongWindow
        if seen >= likelihoodLongWindow {
            let old = means[ring]
            sum -= old
            sumSquares -= old * old
        }
        means[ring] = mean
        sum += mean
        sumSquares += mean * mean
        seen += 1
        return open
    }
}

/// Recurring flags (option `recurring`): a flag with flags on the same side at about the same time of the period
/// (within 1/24 of it: an hour of the day for scans up to every 3 hours, seven hours of the week for scans up to
/// every 1.5 days) in each of the previous two periods is a recurring event — a nightly job's spike — and raises
/// no alert. Slower series have no period here. O(log n) per flag.
struct RecurrenceCheck {
    let times: [Int64]
    let period: Int64
    let tolerance: Int64
    let cycles: Int
    private var flagTimes: [Int64] = []
    private var flagSides: [Int8] = []

    init(times: [Int64], enabled: Bool) {
        self.times = times
        let step = times.count > 1 ? medianStep(times, in: 0..<Swift.min(times.count, 4096)) : 0
        if !enabled || step <= 0 { period = 0 }
        else if step <= 3 * hourMs { period = dayMs }
        else if step <= 36 * hourMs { period = weekMs }
        else { period = 0 }
        tolerance = Swift.max(period / 24, step)
        cycles = 2
    }

    /// Records the flag at point i and returns whether it recurs.
    mutating func observeFlag(_ i: Int, side: Int8) -> Bool {
        guard period > 0 else { return false }
        let t = times[i]
        var recurs = true
        for k in 1...cycles {
            let target = t - Int64(k) * period
            // First flag at or after target − tolerance.
            var lo = 0, hi = flagTimes.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if flagTimes[mid] < target - tolerance { lo = mid + 1 } else { hi = mid }
            }
            var found = false
            var j = lo
            while j < flagTimes.count && flagTimes[j] <= target + tolerance {
                if flagSides[j] == side { found = true; break }
                j += 1
            }
            if !found { recurs = false; break }
        }
        flagTimes.append(t)
        flagSides.append(side)
        return recurs
    }
}
