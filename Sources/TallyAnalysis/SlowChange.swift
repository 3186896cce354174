// The slow-change views (options `slow` and `spread`): statistics of the recent past, each judged against the
// distribution of the same statistic over the series' own longer history.
//
// The baseline band judges one value at a time, and the local view (§3.10) one move at a time. Two kinds of change
// escape both: a slow move of the level that never leaves the band in one step (a machine temperature creeping up
// over a few hundred points), and a change in how often large moves happen (spikes becoming much more frequent,
// noise growing) while each single value stays ordinary. Each view keeps a running statistic:
//
// * `slow`: the difference between a short and a long exponentially weighted mean of the values (spans 50 and
//   1,000 points), i.e. how far the level of the last tens of points sits from the level of the last thousand;
// * `spread`: the share of recent moves (value minus previous value; span 50 points) that are large — more than
//   4 × the median absolute move of the last 1,000 moves.
//
// The statistic is scaled by the quantile ladder (§3.1) of its own past values (2,000 of them, around their
// median, entering that history only after a delay — 1,000 points for `slow`, 200 for `spread` — so that a
// statistic that creeps does not teach its own history to expect it), so a series that always wanders this much,
// or always has this many spikes, sets its own scale: the autocorrelation of a smooth series is in that history,
// no model of it is needed. A view flags when the statistic
// passes N of those robust σ (on the `slow` view only while the value is inside the baseline's range, where the
// baseline says nothing), once per excursion: it re-arms only after the statistic is back within N/2.

/// Spans (points) of the short and long means of the `slow` view.
let slowShortSpan = 50.0
let slowLongSpan = 1000.0
/// Span (points) of the recent rate of large moves (`spread`).
let spreadRateSpan = 50.0
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
    private var ring: [Double] = []
    private var next = 0
    private var window = SortedWindow()
    private var armed = true
    private var pending: [Double] = []
    private var pendingNext = 0

    init(delay: Int) { self.delay = Swift.max(0, delay) }

    /// Judges the statistic's current value `d` with band `band` (robust σ) and σ floor `floor`; returns +1 or −1 on
    /// a new excursion beyond the band (and the value in σ), 0 otherwise, then learns `d` when it is inside the band.
    mutating func judge(_ d: Double, band: Double, floor: Double) -> (side: Int32, z: Double) {
        guard d.isFinite else { return (0, 0) }
        var side: Int32 = 0
        var z = 0.0
        var inside = true
        if window.count >= changeMinimumHistory {
            let c = window.median
            let sp = ladderSpread(sorted: window.sorted, center: c)
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

    private mutating func learn(_ d: Double) {
        if ring.count < changeHistoryCapacity {
            ring.append(d)
        } else {
            _ = window.remove(ring[next])
            ring[next] = d
            next = (next + 1) % changeHistoryCapacity
        }
        window.insert(d)
    }
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

/// Running state of the `spread` view: the median absolute move and the recent rate of large moves.
struct SpreadWatch {
    private var previous: Double? = nil
    private var ring: [Double] = []
    private var next = 0
    private var moves = SortedWindow()
    private var rate = 0.0
    private var seen = 0
    private var statistic = ChangeStatistic(delay: 4 * Int(spreadRateSpan))

    /// Feeds the next value; returns the judged side (+1: large moves more frequent) and z, or (0, 0) while
    /// warming up.
    mutating func observe(_ x: Double, band: Double, judge: Bool) -> (side: Int32, z: Double) {
        guard x.isFinite else { return (0, 0) }
        defer { previous = x }
        guard let p = previous else { return (0, 0) }
        let m = Swift.abs(x - p)
        var result: (side: Int32, z: Double) = (0, 0)
        if moves.count >= 30 {
            let typical = moves.median
            let large = typical > 0 ? m > spreadLargeMove * typical : m > 0
            rate += ((large ? 1 : 0) - rate) / spreadRateSpan
            seen += 1
            if seen >= Int(spreadRateSpan) {
                // The square root steadies the spread of a rate (a count of rare events); the σ floor keeps a few extra
                // large moves after a calm stretch from flagging (from a rate of 0, at N = 4, it takes about 4 in the span).
                result = statistic.judge(rate.squareRoot(), band: judge ? band : .infinity,
                                         floor: (1 / spreadRateSpan).squareRoot() / 2)
            }
        }
        if ring.count < spreadMoveCapacity {
            ring.append(m)
        } else {
            _ = moves.remove(ring[next])
            ring[next] = m
            next = (next + 1) % spreadMoveCapacity
        }
        moves.insert(m)
        return judge ? result : (0, 0)
    }
}
