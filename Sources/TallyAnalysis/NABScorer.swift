import Glibc

/// Cost weights of a NAB scoring profile.
public struct NABProfile: Sendable, Hashable {
    /// Weight of a detected window (A_TP).
    public var truePositive: Double
    /// Cost of a false positive (A_FP).
    public var falsePositive: Double
    /// Cost of a missed window (A_FN).
    public var falseNegative: Double

    /// A custom profile.
    public init(truePositive: Double, falsePositive: Double, falseNegative: Double) {
        self.truePositive = truePositive
        self.falsePositive = falsePositive
        self.falseNegative = falseNegative
    }

    /// NAB's standard profile: TP 1.0, FP 0.11, FN 1.0.
    public static let standard = NABProfile(truePositive: 1.0, falsePositive: 0.11, falseNegative: 1.0)
    /// Reward low false positives: TP 1.0, FP 0.22, FN 1.0.
    public static let rewardLowFP = NABProfile(truePositive: 1.0, falsePositive: 0.22, falseNegative: 1.0)
    /// Reward low false negatives: TP 1.0, FP 0.11, FN 2.0.
    public static let rewardLowFN = NABProfile(truePositive: 1.0, falsePositive: 0.11, falseNegative: 2.0)
}

/// One NAB data file prepared for scoring: the per-row weight a detection would earn and the window each row
/// belongs to, plus the detector's anomaly scores.
public struct NABFile: Sendable {
    /// The file's name (e.g. "realKnownCause/nyc_taxi.csv").
    public var name: String
    /// Weight a detection at each row earns: in a window, a scaled sigmoid of its position (1 at the window's
    /// start, about 0 at its end); outside, −FP weight, decaying from 0 right after a window.
    public var weights: [Double]
    /// Window index of each row (0-based within the file), −1 outside every window, −2 in the probationary period.
    public var windowOf: [Int32]
    /// Number of windows with at least one scorable row.
    public var windowCount: Int
    /// The detector's anomaly scores, one per row, in [0, 1].
    public var scores: [Double]

    /// Prepares a file of `count` rows with windows given as inclusive row ranges (sorted, non-overlapping).
    public init(name: String, count: Int, windows: [ClosedRange<Int>], scores: [Double],
                profile: NABProfile = .standard) {
        precondition(scores.count == count, "one score per row")
        self.name = name
        self.scores = scores
        weights = Array(repeating: 0, count: count)
        windowOf = Array(repeating: -1, count: count)
        let probation = NABScorer.probationaryLength(count)
        let maxTP = NABScorer.scaledSigmoid(-1.0)
        var w = 0
        var previousEnd: Int? = nil
        var previousWidth = 0.0
        var seen = Set<Int32>()
        var i = 0
        while i < count {
            if w < windows.count && i == windows[w].lowerBound {
                let win = windows[w]
                let width = Double(win.upperBound - win.lowerBound + 1)
                for r in win where r < count {
                    let position = -Double(win.upperBound - r + 1) / width
                    weights[r] = NABScorer.scaledSigmoid(position) * profile.truePositive / maxTP
                    windowOf[r] = r < probation ? -2 : Int32(w)
                    if r >= probation { seen.insert(Int32(w)) }
                }
                previousEnd = win.upperBound
                previousWidth = width
                i = win.upperBound + 1
                w += 1
                continue
            }
            let unweighted: Double
            if let end = previousEnd {
                unweighted = NABScorer.scaledSigmoid(Double(Swift.abs(end - i)) / (previousWidth - 1))
            } else {
                unweighted = -1.0
            }
            weights[i] = unweighted * profile.falsePositive
            if i < probation { windowOf[i] = -2 }
            i += 1
        }
        windowCount = seen.count
    }
}

/// The project's implementation of NAB's scoring rules (Lavin & Ahmad 2015, numenta/NAB): probationary period,
/// scaled-sigmoid window weights, earliest detection per window, one threshold for the whole corpus, and
/// normalisation against the null and perfect detectors.
public enum NABScorer {
    /// Rows not scored at the start of a file: min(⌊0.15·n⌋, 750).
    public static func probationaryLength(_ n: Int) -> Int {
        Swift.min(Int((0.15 * Double(n)).rounded(.down)), 750)
    }

    /// 2·sigmoid(−5x) − 1, and −1 beyond 3 window lengths.
    public static func scaledSigmoid(_ x: Double) -> Double {
        if x > 3.0 { return -1.0 }
        return 2 / (1 + exp(5 * x)) - 1
    }

    /// Raw score of one file when every row with score ≥ `threshold` is a detection.
    public static func rawScore(_ f: NABFile, threshold: Double, profile: NABProfile = .standard) -> Double {
        let windowSlots = Int((f.windowOf.max() ?? -1) + 1)
        var best = Array(repeating: -profile.falseNegative, count: windowSlots)
        var total = 0.0
        for r in 0..<f.scores.count where f.scores[r] >= threshold {
            let w = f.windowOf[r]
            if w == -2 { continue }
            if w == -1 { total += f.weights[r] }
            else if f.weights[r] > best[Int(w)] { best[Int(w)] = f.weights[r] }
        }
        var seen = Set<Int32>()
        for w in f.windowOf where w >= 0 { seen.insert(w) }
        for w in seen { total += best[Int(w)] }
        return total
    }

    /// Raw score summed over files at one threshold.
    public static func rawScore(_ files: [NABFile], threshold: Double, profile: NABProfile = .standard) -> Double {
        files.reduce(0) { $0 + rawScore($1, threshold: threshold, profile: profile) }
    }

    /// NAB's threshold optimisation: sweeps every distinct score (descending) over all files together and
    /// returns the threshold with the highest total raw score (the first one reached on ties).
    public static func optimizeThreshold(_ files: [NABFile], profile: NABProfile = .standard)
        -> (threshold: Double, rawScore: Double) {
        struct Row { var score: Double; var weight: Double; var window: Int }
        var rows: [Row] = []
        var windowBase = 0
        var windowTotal = 0
        for f in files {
            let maxW = Int((f.windowOf.max() ?? -1) + 1)
            for r in 0..<f.scores.count where f.windowOf[r] != -2 {
                let w = f.windowOf[r]
                rows.append(Row(score: f.scores[r], weight: f.weights[r], window: w >= 0 ? windowBase + Int(w) : -1))
            }
            windowBase += maxW
            windowTotal += f.windowCount
        }
        rows.sort { $0.score > $1.score }
        var best = Array(repeating: -profile.falseNegative, count: windowBase)
        var total = -profile.falseNegative * Double(windowTotal)
        var current = 1.1
        var bestResult = (threshold: current, rawScore: total)
        for row in rows {
            if row.score != current {
                if total > bestResult.rawScore { bestResult = (current, total) }
                current = row.score
            }
            if row.window < 0 {
                total += row.weight
            } else if row.weight > best[row.window] {
                total += row.weight - best[row.window]
                best[row.window] = row.weight
            }
        }
        if total > bestResult.rawScore { bestResult = (current, total) }
        return bestResult
    }

    /// Normalised score: 100 · (raw − null) / (perfect − null), where the null detector (no detections) scores
    /// −FN per window and the perfect one +TP per window.
    public static func normalized(rawScore: Double, windowCount: Int, profile: NABProfile = .standard) -> Double {
        let null = -profile.falseNegative * Double(windowCount)
        let perfect = profile.truePositive * Double(windowCount)
        return 100 * (rawScore - null) / (perfect - null)
    }
}
