import Glibc

// The slow-change views (options `slow` and `spread`): statistics of the recent past, each judged against the
// series' own longer history.
//
// The baseline band judges one value at a time, and the local view (§3.10) one move at a time. Two kinds of change
// escape both: a slow move of the level that never leaves the band in one step (a machine temperature creeping up
// over a few hundred points), and a change in how often large moves happen (spikes becoming much more frequent,
// noise growing) while each single value stays ordinary.
//
// * `slow`: the difference between a short and a long exponentially weighted mean of the values (spans 50 and
//   1,000 points), i.e. how far the level of the last tens of points sits from the level of the last thousand. It
//   is scaled by the quantile ladder (§3.1) of its own past values (2,000 of them, around their median, entering
//   that history only 1,000 points later, so that a creeping level does not teach its own history to expect it),
//   so a series that always wanders this much sets its own scale: the autocorrelation of a smooth series is in that
//   history, no model of it is needed. It flags when the difference passes N of those robust σ, while the value is
//   inside the baseline's range, once per excursion: it re-arms only after the difference is back within N/2.
// * `spread`: a rate test. A move (value minus previous value) is large when it exceeds 4 × the median absolute
//   move of the last 1,000 moves. For windows of the last 25 and 50 moves, the count k of large moves is compared
//   with (a) the long-run rate, the large moves among the other moves of the last 1,000 (counted with the same
//   threshold as the window, from the sorted window of moves): k flags up when its
//   Poisson upper tail at that rate is below the one-sided Gaussian tail at N; (b) a minimum, k ≥ 6 (three spikes:
//   two spikes in a quiet series never flag); and (c) the series' own past windows of the same length (their counts
//   over the last 2,000 points, each entering that history one window later): k must be at least twice the
//   largest of them, so a bursty or periodic spike process, whose windows often hold many large moves, sets its own
//   bar. Down: k below half the smallest past count and in the Poisson lower tail. Once per excursion: a side
//   re-arms when the count is back within the past counts' range (and only then for the first time, so a state
//   already unusual when the view starts judging is not reported as a change).

/// Spans (points) of the short and long means of the `slow` view.
let slowShortSpan = 50.0
let slowLongSpan = 1000.0
/// A view's flag (`spread`, `noise`) that falls on a point another rule flags goes to the next free point within
/// this many points.
let viewFlagWait = 50

/// A view's flag waiting for a point no other rule flags: the views often pass their band on a value that is itself
/// out of range (a spike that starts a burst, a move that shows the new noise), and the flag then goes to the next
/// free point, if one comes within `viewFlagWait` points.
struct PendingViewFlag {
    private var side: Int32 = 0
    private var at = 0

    /// Notes a new excursion on `side` (0: none) at point `i`.
    mutating func note(_ side: Int32, at i: Int) {
        if side != 0 { (self.side, at) = (side, i) }
    }

    /// The waiting side when point `i` may carry it (`free`), after which nothing waits; 0 otherwise.
    mutating func take(at i: Int, free: Bool) -> Int32 {
        if side != 0 && i - at > viewFlagWait { side = 0 }
        guard free && side != 0 else { return 0 }
        defer { side = 0 }
        return side
    }
}
/// Window lengths (moves) of the `spread` view's counts: a short one for bursts, a longer one for lasting changes.
let spreadWindows = [25, 50]
/// Past window counts kept (`spread`), and how many are needed before the view judges.
let spreadHistoryCapacity = 2000
let spreadMinimumHistory = 1000
/// A higher count must hold at least this many large moves (so two spikes in a quiet series never flag) …
let spreadMinimumCount = 6
/// … and at least this many times the largest count of any past window; a lower count, less than the smallest
/// past count divided by it.
let spreadBurstMargin = 2.0
/// A move is large when it exceeds this many times the median absolute move.
let spreadLargeMove = 4.0
/// Absolute moves kept for the median (`spread`).
let spreadMoveCapacity = 1000
/// Past values of a statistic that set its scale, and how many are needed before it judges anything.
let changeHistoryCapacity = 2000
let changeMinimumHistory = 300

/// One statistic judged against its own recent history: a ring and a sorted window of its past values.
struct ChangeStatistic {
    /// Values enter the history only this many points later, so a statistic that creeps never teaches its own
    /// history to expect it.
    let delay: Int
    private var history = RecentValues(capacity: changeHistoryCapacity)
    private var armed = true
    private var pending: [Double] = []
    private var pendingNext = 0

    /// `armedAtStart: false`: the first excursion counts only after the statistic has once been within N/2 while
    /// judged (a state already unusual when judging starts is not a change it saw begin).
    init(delay: Int, armedAtStart: Bool = true) {
        self.delay = Swift.max(0, delay)
        armed = armedAtStart
    }

    /// Judges the statistic's current value `d` with band `band` (robust σ) and σ floor `floor`; returns +1 or −1 on
    /// a new excursion beyond the band (and the value in σ), 0 otherwise, then learns `d` when it is inside the band.
    mutating func judge(_ d: Double, band: Double, floor: Double) -> (side: Int32, z: Double) {
        guard d.isFinite else { return (0, 0) }
        var side: Int32 = 0
        var z = 0.0
        var inside = true
        if history.count >= changeMinimumHistory {
            let c = history.window.median
            let sp = ladderSpread(sorted: history.window.sorted, center: c)
            let sigma = Swift.max(d >= c ? sp.up : sp.down, floor, 1e-12)
            z = (d - c) / sigma
            if Swift.abs(z) >= band {
                inside = false
                if armed { side = z > 0 ? 1 : -1; armed = false }
            } else if Swift.abs(z) < band / 2 {
                armed = true
            }
        }
        // Values beyond the band wait as NaN and are never learned (an excursion never widens the history).
        let v = inside ? d : .nan
        if delay == 0 { if inside { learn(v) } }
        else if pending.count < delay { pending.append(v) }
        else {
            let old = pending[pendingNext]
            pending[pendingNext] = v
            pendingNext = (pendingNext + 1) % delay
            if !old.isNaN { learn(old) }
        }
        return (side, z)
    }

    private mutating func learn(_ d: Double) { history.append(d) }
}

/// Running state of the `slow` view: two exponentially weighted means and the judged difference.
struct SlowLevelWatch {
    private var short = 0.0
    private var long = 0.0
    private var seen = 0
    private var statistic = ChangeStatistic(delay: Int(slowLongSpan))

    /// Feeds the next value (censored at the band's edge for flagged points); returns the judged side and z, or
    /// (0, 0) while warming up. `floor`: the smallest σ the difference may have.
    mutating func observe(_ x: Double, band: Double, floor: Double, judge: Bool) -> (side: Int32, z: Double) {
        guard x.isFinite else { return (0, 0) }
        if seen == 0 { short = x; long = x }
        else {
            short += (x - short) / slowShortSpan
            long += (x - long) / slowLongSpan
        }
        seen += 1
        guard seen >= Int(slowLongSpan) else { return (0, 0) }
        let d = short - long
        guard judge else {
            _ = statistic.judge(d, band: .infinity, floor: floor)
            return (0, 0)
        }
        return statistic.judge(d, band: band, floor: floor)
    }
}

/// Running state of the `noise` view: a short and a long exponentially weighted mean of the absolute moves (each
/// move capped at `noiseMoveCap` × the long mean, so an isolated spike adds little), and the judged log ratio.
struct NoiseLevelWatch {
    private var previous: Double? = nil
    private var short = 0.0
    private var long = 0.0
    private var seen = 0
    private var statistic = ChangeStatistic(delay: Int(slowLongSpan), armedAtStart: false)

    /// Feeds the next value; returns +1 on a new rise of the typical move beyond the band (−1 on a fall), 0
    /// otherwise or while warming up.
    mutating func observe(_ x: Double, band: Double, judge: Bool) -> (side: Int32, z: Double) {
        guard x.isFinite else { return (0, 0) }
        defer { previous = x }
        guard let p = previous else { return (0, 0) }
        var m = Swift.abs(x - p)
        // Plain means until the spans are reached, so the first move does not set the long mean for a thousand points.
        seen += 1
        if long > 0 && seen > 30 { m = Swift.min(m, noiseMoveCap * long) }
        short += (m - short) / Swift.min(Double(seen), slowShortSpan)
        long += (m - long) / Swift.min(Double(seen), slowLongSpan)
        guard seen >= Int(slowLongSpan), long > 0 else { return (0, 0) }
        let d = log(Swift.max(short, noiseRatioFloor * long) / long)
        return statistic.judge(d, band: judge ? band : .infinity, floor: noiseLogFloor)
    }
}

/// A move counts at most this many times the long mean move (`noise`).
let noiseMoveCap = 4.0
/// The short mean counts at least this share of the long one (`noise`; a stretch of identical values is not −∞).
let noiseRatioFloor = 0.05
/// The smallest σ of the log ratio (`noise`): a change of the typical move by less than about 5% never flags.
let noiseLogFloor = 0.05

/// Running state of the `spread` view: the median absolute move, and for each window length the count of large
/// moves in the last `length` moves, judged against the long-run rate and the counts of the series' own past windows.
struct SpreadWatch {
    private var previous: Double? = nil
    /// The last `spreadMoveCapacity` absolute moves.
    private var moves = RecentValues(capacity: spreadMoveCapacity)
    private var windows: [RateWindow] = spreadWindows.map { RateWindow(length: $0) }

    /// Feeds the next value; returns the judged side (+1: large moves more frequent, −1: less) and the tail the
    /// count had to reach, or (0, 0) while warming up or when nothing is unusual.
    mutating func observe(_ x: Double, band: Double, judge: Bool) -> (side: Int32, z: Double) {
        guard x.isFinite else { return (0, 0) }
        defer { previous = x }
        guard let p = previous else { return (0, 0) }
        moves.append(Swift.abs(x - p))
        guard moves.count >= 30 else { return (0, 0) }
        // Recent and long-run counts use the same, current threshold: a typical move that shifts (quantised gauges
        // whose median move flips between two steps) changes both alike instead of faking a change of rate.
        let typical = moves.window.median
        let threshold = typical > 0 ? spreadLargeMove * typical : 0
        let allLarge = moves.count - moves.window.upperBound(threshold)
        // One-sided Gaussian tail at the band: the Poisson tail a count must reach.
        let tail = judge ? 0.5 * erfc(band / 1.4142135623730951) : 0
        var result: (side: Int32, z: Double) = (0, 0)
        var recent = 0
        var counted = 0
        for k in windows.indices {
            let w = windows[k].length
            guard moves.count > w else { continue }
            while counted < w {
                if moves.newest(counted) > threshold { recent += 1 }
                counted += 1
            }
            let r = windows[k].judge(recent: recent, old: allLarge - recent, oldMoves: moves.count - w, tail: tail)
            if r.side != 0 && result.side == 0 { result = r }
        }
        return judge ? result : (0, 0)
    }
}

/// One window length of the `spread` view: the counts of past windows of the same length (the last
/// `spreadHistoryCapacity`, each entering only `length` points after it was counted, so a window never shares a
/// move with the one it is compared with) and the arming of each side.
struct RateWindow {
    let length: Int
    private var histogram: [Int32]
    private var history: [Int32] = []
    private var historyNext = 0
    private var delayed: [Int32] = []
    private var delayedNext = 0
    private var most = 0
    private var least = Int.max
    /// A side arms only once the count has been ordinary on it while judged: a count already unusual when the
    /// view starts judging is a state it did not see begin, not a change.
    private var armedUp = false
    private var armedDown = false

    init(length: Int) {
        self.length = length
        histogram = Array(repeating: 0, count: length + 1)
    }

    /// Judges the count `recent` of large moves in the window against `old` large moves among the `oldMoves`
    /// before it, and the past windows' counts; then files `recent` for the history.
    mutating func judge(recent k: Int, old: Int, oldMoves: Int, tail: Double) -> (side: Int32, z: Double) {
        var result: (side: Int32, z: Double) = (0, 0)
        if history.count >= spreadMinimumHistory && oldMoves >= spreadMinimumHistory / 2 && tail > 0 {
            let lambda = Double(length) * (Double(old) + 0.5) / (Double(oldMoves) + 1)
            // More: at least a few large moves, clearly more than any past window held, and improbable at the
            // long-run rate.
            if armedUp && k >= spreadMinimumCount && Double(k) >= spreadBurstMargin * Double(most) {
                let p = poissonUpperTail(k, lambda)
                if p <= tail { result = (1, tail); armedUp = false }
            } else if k <= most {
                armedUp = true
            }
            // Fewer: clearly fewer than any past window held, and improbable at the long-run rate.
            if result.side == 0 {
                if armedDown && spreadBurstMargin * Double(k) < Double(least) {
                    let p = poissonLowerTail(k, lambda)
                    if p <= tail { result = (-1, tail); armedDown = false }
                } else if k >= least {
                    armedDown = true
                }
            }
        }
        file(Int32(k))
        return result
    }

    private mutating func file(_ c: Int32) {
        if delayed.count < length { delayed.append(c); return }
        let entering = delayed[delayedNext]
        delayed[delayedNext] = c
        delayedNext = (delayedNext + 1) % length
        if history.count < spreadHistoryCapacity {
            history.append(entering)
        } else {
            let out = Int(history[historyNext])
            history[historyNext] = entering
            historyNext = (historyNext + 1) % spreadHistoryCapacity
            histogram[out] -= 1
            if histogram[out] == 0 {
                if out == most { while most > 0 && histogram[most] == 0 { most -= 1 } }
                if out == least { while least < length && histogram[least] == 0 { least += 1 } }
            }
        }
        let e = Int(entering)
        histogram[e] += 1
        most = Swift.max(most, e)
        least = Swift.min(least, e)
    }
}

/// P(K ≥ k) for a Poisson count with mean `lambda` (1 when k ≤ lambda: not a tail).
func poissonUpperTail(_ k: Int, _ lambda: Double) -> Double {
    guard lambda > 0 else { return k > 0 ? 0 : 1 }
    if Double(k) <= lambda { return 1 }
    var term = exp(-lambda + Double(k) * log(lambda) - lgamma(Double(k) + 1))
    var sum = term
    var j = k
    while term > sum * 1e-12 && j < k + 10_000 {
        j += 1
        term *= lambda / Double(j)
        sum += term
    }
    return Swift.min(1, sum)
}

/// P(K ≤ k) for a Poisson count with mean `lambda` (1 when k ≥ lambda: not a tail).
func poissonLowerTail(_ k: Int, _ lambda: Double) -> Double {
    if Double(k) >= lambda { return 1 }
    var term = exp(-lambda)
    var sum = term
    if k > 0 {
        for j in 1...k {
            term *= lambda / Double(j)
            sum += term
        }
    }
    return Swift.min(1, sum)
}
