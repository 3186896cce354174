import Glibc

// From per-point flags to alerts: a refractory period after each alert, the optional likelihood gate, and the
// optional check for recurring flags.

/// Short window (judged points) of the likelihood gate's mean surprise.
let likelihoodShortWindow = 10
/// Default long window (judged points) over which the distribution of short means is estimated
/// (`AnomalyOptions.likelihoodWindow`).
@usableFromInline let likelihoodLongWindow = 2000
/// Short means needed before the gate can close (with fewer, there is nothing to compare with).
let likelihoodMinimumHistory = 100
/// The gate opens when the upper tail probability of the current short mean is at most this (z ≥ 1.28).
let likelihoodGateTail = 0.1
/// With `likelihood=strict`, the short mean of the squared surprise must also be in this upper tail (z ≥ 1.04).
let likelihoodSquareTail = 0.15

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
/// With `likelihood=strict` the gate also keeps the short mean of the *squared* surprise and its history, and a
/// flag alerts only when both short means are in their upper tails (10% and 15%): the recent surprise must be
/// unusual for the series both in its level and in its weight of large deviations, so a flag at the band's edge
/// in a stretch that is merely noisier than usual, or an in-range flag (stuck, drift, jump) that follows such a
/// stretch, no longer passes on the strength of the noise around it. The long window is
/// `AnomalyOptions.likelihoodWindow` (2,000 judged points by default).
///
/// With `jump_record=N` (round 7), a `jump` flag the gate holds back alerts anyway when its surprise is larger than
/// every surprise of the last N judged points: the gate averages ten points, so one move far beyond anything the
/// series has done lately is diluted by the ordinary points around it, and on a series whose surprise is often
/// high it stays shut; a record says more than the average does.
///
/// `surprise` is what the gate sees (|deviation|, or with the local view the larger surprise, §3.10; nil: the
/// deviation); `deviation` and `details` give each flag's side for the recurrence check.
func alerts(anomaly: [Bool], deviation: [Double], surprise: [Double]? = nil, reasons: [ReasonCode],
            details: [Int32], times: [Int64], options: AnomalyOptions) -> [Bool] {
    guard options.thinsAlerts else { return anomaly }
    let n = anomaly.count
    var out = Array(repeating: false, count: n)
    var gate = LikelihoodGate(cap: 2 * options.sensitivity, longWindow: options.likelihoodWindow,
                              strict: options.likelihood == .strict)
    var lastAlert = -1
    var lastViewAlert = -1
    var recurring = RecurrenceCheck(times: times, enabled: options.recurring)
    var record = options.likelihoodGate ? options.jumpRecord.map { SlidingMaximum(window: $0) } : nil
    for i in 0..<n {
        let judged = reasons[i] != .coldStart && reasons[i] != .missing
        var open = true
        if options.likelihoodGate && judged {
            let s = surprise?[i] ?? deviation[i]
            open = gate.observe(s)
            if record != nil {
                let size = Swift.abs(s)
                // A jump beyond every surprise of the window opens the gate. (The gate is open anyway until it has
                // seen 100 judged points, so the window always has that many behind a held jump.)
                if !open, anomaly[i], reasons[i] == .jump, size > record!.maximum { open = true }
                record!.append(size.isFinite ? size : 0)
            }
        }
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
            case .duration(let d): if timeGap(times[i], times[since]) <= d { continue }
            }
        }
        out[i] = true
        if ownHistory { lastViewAlert = i } else { lastAlert = i }
    }
    return out
}

/// Running state of the likelihood gate: a ring of the last surprises (short window) and a ring of the last
/// short means (long window) with running sums; with `strict` only, the same for the squared surprise. O(1) per point.
struct LikelihoodGate {
    let cap: Double
    /// Judged points whose short means make up the history the current short mean is compared with.
    let longWindow: Int
    /// Also require the short mean of the squared surprise to be in its upper tail (`likelihood=strict`).
    let strict: Bool
    private var surprises = Array(repeating: 0.0, count: likelihoodShortWindow)
    private var means: [Double]
    private var squareMeans: [Double]
    private var seen = 0
    private var shortSum = 0.0
    private var shortSquareSum = 0.0
    private var mean = RunningMoments()
    private var squareMean = RunningMoments()

    init(cap: Double, longWindow: Int = likelihoodLongWindow, strict: Bool = false) {
        self.cap = Swift.max(cap, 1e-9)
        self.longWindow = Swift.max(longWindow, likelihoodMinimumHistory)
        self.strict = strict
        means = Array(repeating: 0, count: self.longWindow)
        squareMeans = strict ? Array(repeating: 0, count: self.longWindow) : []
    }

    /// Feeds the deviation of the next judged point; returns whether the gate is open for it.
    mutating func observe(_ deviation: Double) -> Bool {
        let a = deviation.isNaN ? 0 : Swift.min(Swift.abs(deviation), cap) / cap
        let slot = seen % likelihoodShortWindow
        if seen >= likelihoodShortWindow {
            shortSum -= surprises[slot]
            if strict { shortSquareSum -= surprises[slot] * surprises[slot] }
        }
        surprises[slot] = a
        shortSum += a
        if strict { shortSquareSum += a * a }
        let count = Double(Swift.min(seen + 1, likelihoodShortWindow))
        let m = shortSum / count
        let m2 = Swift.max(shortSquareSum, 0) / count
        // Compare with the previous short means (strictly before this point).
        var open = true
        if Swift.min(seen, longWindow) >= likelihoodMinimumHistory {
            open = mean.upperTail(of: m) <= likelihoodGateTail
            if strict && open { open = squareMean.upperTail(of: m2) <= likelihoodSquareTail }
        }
        let ring = seen % longWindow
        if seen >= longWindow {
            mean.remove(means[ring])
            if strict { squareMean.remove(squareMeans[ring]) }
        }
        means[ring] = m
        mean.add(m)
        if strict {
            squareMeans[ring] = m2
            squareMean.add(m2)
        }
        seen += 1
        return open
    }
}

/// The largest of the last `window` values appended, in O(1) amortised time per value (a ring of the values
/// and a deque of the positions of those not exceeded by a later one).
struct SlidingMaximum {
    let window: Int
    private var positions: [Int]
    private var values: [Double]
    private var head = 0
    private var tail = 0
    /// Values appended so far.
    private(set) var count = 0

    init(window: Int) {
        self.window = Swift.max(window, 1)
        positions = Array(repeating: 0, count: self.window + 1)
        values = Array(repeating: 0, count: self.window + 1)
    }

    /// The largest of the last `window` values (0 when none has been appended).
    var maximum: Double { head == tail ? 0 : values[head] }

    mutating func append(_ x: Double) {
        let capacity = window + 1
        // Drop the value that leaves the window (at most one: positions increase), then, from the back, the values
        // the new one equals or exceeds; at most `window` positions remain, so the ring never fills.
        if head != tail && positions[head] <= count - window { head = (head + 1) % capacity }
        while head != tail {
            let last = (tail + capacity - 1) % capacity
            guard values[last] <= x else { break }
            tail = last
        }
        positions[tail] = count
        values[tail] = x
        tail = (tail + 1) % capacity
        count += 1
    }
}

/// Count, sum and sum of squares of a sliding set of values, and the Gaussian upper tail of a new value under
/// their mean and standard deviation.
struct RunningMoments {
    private var count = 0
    private var sum = 0.0
    private var sumSquares = 0.0

    mutating func add(_ x: Double) {
        count += 1
        sum += x
        sumSquares += x * x
    }

    mutating func remove(_ x: Double) {
        count -= 1
        sum -= x
        sumSquares -= x * x
    }

    /// P(X ≥ x) for X Gaussian with the values' mean and standard deviation (variance floored at 10⁻¹²).
    func upperTail(of x: Double) -> Double {
        let k = Double(Swift.max(count, 1))
        let mu = sum / k
        let variance = Swift.max(sumSquares / k - mu * mu, 1e-12)
        return 0.5 * erfc((x - mu) / variance.squareRoot() / 1.4142135623730951)
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
            let target = timeShift(t, by: -Int64(k) * period)
            // First flag at or after target − tolerance.
            var lo = 0, hi = flagTimes.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if flagTimes[mid] < timeShift(target, by: -tolerance) { lo = mid + 1 } else { hi = mid }
            }
            var found = false
            var j = lo
            while j < flagTimes.count && flagTimes[j] <= timeShift(target, by: tolerance) {
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
