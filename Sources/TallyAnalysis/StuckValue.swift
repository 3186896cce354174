import Glibc

/// Detects a stuck metric: one that normally moves but has repeated the same value for a run of points.
///
/// From the training points it learns how often a value equals the previous one, p = (equal pairs + ½) /
/// (pairs + 1). A run of r identical values then has probability about p^(r−1); the run is flagged once that is
/// below the two-sided normal tail at the sensitivity (0.27% at 3), with at least 3 identical values and 20
/// training pairs. A metric that repeats its value on more than 20% of points (a count that is usually 0, a
/// constant, a coarse gauge) is never called stuck, and neither is a run of zeros in a series that has never been
/// negative and has rested at 0 before (a trained 0 followed by a trained nonzero value): a count or gauge resting
/// at its floor, where it has rested before, is idle, not frozen (a low-volume count repeats 0 by chance in its
/// quiet hours far more often than its overall repeat rate says). A busy metric that drops to zero is below its
/// range, which the band judges, and a metric that has never rested at 0 and stops there is still stuck.
struct StuckTracker {
    /// A metric that repeats its previous value more often than this is not one that "normally moves".
    let maximumRepeatRate = 0.2

    private var previous: Double? = nil
    private(set) var run = 0
    private var lastTrained: Double? = nil
    private var equalPairs = 0
    private var pairs = 0
    /// The series has rested at 0 and moved on: a trained 0 was followed by a trained nonzero value (so the
    /// current run never counts as its own precedent).
    private var leftZero = false

    /// Observes a judged, non-missing value (before the verdict); returns the run length including it.
    mutating func observe(_ x: Double) -> Int {
        if let p = previous, p == x { run += 1 } else { run = 1 }
        previous = x
        return run
    }

    /// Records a value that trains the baseline.
    mutating func trained(_ x: Double) {
        if lastTrained == 0 && x != 0 { leftZero = true }
        if let p = lastTrained {
            pairs += 1
            if p == x { equalPairs += 1 }
        }
        lastTrained = x
    }

    /// Probability of the current run under the learned repeat rate, or nil if it cannot be judged yet or is a run
    /// of zeros in a `nonNegative` series that has rested at 0 before and moved on (idle at its floor).
    func runProbability(nonNegative: Bool) -> Double? {
        guard run >= 3, pairs >= 20 else { return nil }
        if nonNegative && previous == 0 && leftZero { return nil }
        let p = (Double(equalPairs) + 0.5) / Double(pairs + 1)
        guard p <= maximumRepeatRate else { return nil }
        return pow(p, Double(run - 1))
    }
}
