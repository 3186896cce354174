// The local-change view (option `local`): how far a value moved from the previous value, measured against how
// far values usually move from one point to the next in this series.
//
// The baseline models judge a value against the level of the whole training window (up to 1,000 points). On a
// smooth series that wanders — a temperature, a CPU gauge, a travel time — that level moves a lot over the
// window, so the band is wide, while successive values are close to each other: a sudden move of many usual
// steps can stay inside the band. The local view scales the move from the previous value by the quantile ladder
// (§3.1) of past moves. It flags only on the side where it is clearly sharper than the baseline (its robust σ
// below `localSharperRatio` of the baseline's), so on series whose values are independent noise around a level —
// where successive values are no closer to each other than to the level — it adds nothing.

/// The local view flags on a side only while its robust σ is below this share of the baseline's σ on that side.
let localSharperRatio = 0.7
/// Floor of the local σ as a share of the baseline's σ (a stretch of identical values must not make it zero).
let localScaleFloor = 0.1
/// Moves needed before the local view judges anything.
let localMinimumHistory = 30

/// Running state of the local view: the previous value and a sorted window of past moves (value minus previous
/// value, large ones censored), with a ring for eviction. O(w) bytes moved per point, O(1) quantiles.
struct LocalChangeTracker {
    let capacity: Int
    /// The previous value that counted (nil before the first).
    private(set) var previous: Double?
    private var ring: [Double] = []
    private var next = 0
    private var window = SortedWindow()

    init(capacity: Int) {
        self.capacity = Swift.max(localMinimumHistory, capacity)
    }

    /// Moves learned so far (at most `capacity`).
    var support: Int { window.count }

    /// Robust σ of the moves up and down (the quantile ladder around 0), or nil while there are too few.
    var spread: Spread? {
        guard window.count >= localMinimumHistory else { return nil }
        return ladderSpread(sorted: window.sorted, center: 0)
    }

    /// Records a value and, when there was a previous value, its move (possibly censored).
    mutating func observe(value x: Double, move: Double?) {
        if let r = move, r.isFinite {
            if ring.count < capacity {
                ring.append(r)
            } else {
                window.remove(ring[next])
                ring[next] = r
                next = (next + 1) % capacity
            }
            window.insert(r)
        }
        previous = x
    }
}
