/// A user's verdict on a past point.
public enum Feedback: UInt8, Sendable, Hashable {
    /// No verdict: the point trains the baseline unless the detector flags it.
    case none = 0
    /// Normal: the point trains the baseline even if it was flagged.
    case expected
    /// Left out of training (e.g. a known backfill or maintenance window); still judged.
    case exclude
    /// A confirmed anomaly: it never trains and never counts towards a level shift.
    case anomaly
}

/// Why a point got its verdict; `AnomalyResult.reason(at:)` turns it into a sentence.
public enum ReasonCode: UInt8, Sendable, Hashable {
    /// Within the expected range.
    case normal
    /// Above the expected range.
    case above
    /// Below the expected range.
    case below
    /// Too little history; `details` holds how many more points are needed (negative: at least that many, before the
    /// scan interval is known).
    case coldStart
    /// The value is NaN (missing); it is not judged and does not train.
    case missing
    /// The value has not changed for `details` points although the metric normally moves.
    case stuck
    /// Inside the range, but the recent values have been creeping one way: a CUSUM of the deviations (in robust
    /// standard deviations, each capped at the sensitivity) passed 2 × sensitivity. `details` is +1 (up) or −1.
    case drift
    /// Outside the range for `details` consecutive points with a stable new level: flagged, and the baseline
    /// restarts from the shift, so the following points are judged against the new level.
    case levelShift
    /// The `details` of the last 50 points were outside the range (10 or more, in at least 5 separate events):
    /// the detector was wrong too often,
    /// so those points now train with their real values and the baseline takes in the new spread or pattern.
    case regimeChange
    /// Inside the range, but far from the values just before it: a sudden move of many times the series' usual
    /// moves (the local-change view, option `local`). `details` is +1 (up) or −1 (down).
    case jump
    /// Inside the range, but the recent level (a short mean) has moved far from the level of the last few hundred
    /// points, measured against how far it usually does in this series (option `slow`). `details` is +1 or −1.
    case slowChange
    /// The rate of large moves (spikes, noise) of the last tens of points is far from its usual rate in this series
    /// (option `spread`). `details` is +1 (more frequent) or −1 (less frequent).
    case spreadChange
}

/// The shape the detector found in the training data.
public enum SeriesShape: UInt8, Sendable, Hashable {
    /// Real-valued data with no special shape.
    case regular
    /// Every training value is the same: any change is flagged.
    case constant
    /// At least half of the training values are 0 (e.g. a missing-value count).
    case zeroInflated
    /// Only integer values (counts): the band is never narrower than ±1.
    case counts
}

/// The model that judged a point.
public struct ModelDescription: Sendable, Hashable {
    /// `.level`, `.seasonal` or `.holtWinters` (never `.auto`).
    public var method: AnomalyMethod
    /// Seasonal period in milliseconds, if a season is modelled.
    public var seasonPeriod: Int64?
    /// Number of phase buckets in the period (7 = day-of-week, 24 = hour-of-day, 168 = hour-of-week).
    public var seasonBuckets: Int
    /// Shape of the training data.
    public var shape: SeriesShape

    /// A few words for people, e.g. "weekly pattern", "trend, daily pattern", "level", "constant".
    public var summary: String {
        var parts: [String] = []
        switch shape {
        case .constant: parts.append("constant")
        case .zeroInflated: parts.append("mostly zero")
        case .regular, .counts: break
        }
        if method == .holtWinters { parts.append("trend") }
        if let p = seasonPeriod {
            parts.append(SeasonSpecName.name(period: p, buckets: seasonBuckets) + " pattern")
        }
        if parts.isEmpty { parts.append("level") }
        return parts.joined(separator: ", ")
    }
}

enum SeasonSpecName {
    static func name(period: Int64, buckets: Int) -> String {
        if period == dayMs { return "daily" }
        if period == hourMs { return "hourly" }
        if period == weekMs { return buckets >= 48 ? "daily and weekly" : "weekly" }
        return "every " + formatDuration(period)
    }
}

/// Walk-forward results for a whole series, as columns (one entry per input point).
///
/// Point i is judged only on points before it. `anomaly[i]` is true exactly when the value lies outside
/// [`lower[i]`, `upper[i]`], except for `ReasonCode.stuck` (a value inside the range that has stopped changing)
/// and `ReasonCode.drift` (inside the range, but creeping one way for a while), and `ReasonCode.jump` (inside the
/// range, but a sudden move far larger than the series' usual moves; option `local`). Cold-start and missing points are
/// never anomalies.
public struct AnomalyResult: Sendable {
    /// The input times (epoch milliseconds).
    public var times: [Int64]
    /// The input values.
    public var values: [Double]
    /// Expected value (NaN during cold start).
    public var expected: [Double]
    /// Lower end of the expected range (−∞ when only upward changes may alert; NaN during cold start).
    public var lower: [Double]
    /// Upper end of the expected range (+∞ when only downward changes may alert; NaN during cold start).
    public var upper: [Double]
    /// 0…1: one minus the two-sided tail probability of the value under the model (0 at the expected value,
    /// equal to `erf(sensitivity/√2)` at the band's edge); 0 for deviations in an ignored direction, NaN when
    /// missing, 0 during cold start.
    public var score: [Double]
    /// Signed deviation from the expected value in robust standard deviations of the model (the band's edge is
    /// at ±sensitivity); unlike `score` it does not saturate, so it ranks extreme points. 0 in an ignored
    /// direction and during cold start, NaN when missing.
    public var deviation: [Double]
    /// Whether the point alerts.
    public var anomaly: [Bool]
    /// Whether the point raises a new alert: a flagged point that is not within the refractory period after the
    /// previous alert and, with the likelihood gate, comes while the series is unusually surprising for itself
    /// (see `AnomalyOptions.refractory`, `AnomalyOptions.likelihoodGate`). Equal to `anomaly` by default.
    public var alert: [Bool]
    /// Why, as a compact code per point.
    public var reasons: [ReasonCode]
    /// Code-specific detail: points still needed (cold start), run length (stuck, level shift), else 0.
    public var details: [Int32]
    /// Index into `models` of the model that judged each point.
    public var modelIndex: [UInt8]
    /// The distinct models used along the walk.
    public var models: [ModelDescription]

    /// Number of points.
    public var count: Int { times.count }

    /// The model that judged point i (nil during cold start).
    public func model(at i: Int) -> ModelDescription? {
        let m = Int(modelIndex[i])
        return m < models.count ? models[m] : nil
    }

    /// The model in use at the end of the series (what `method=auto` picked), or nil if still cold.
    public var finalModel: ModelDescription? { count > 0 ? model(at: count - 1) : nil }

    /// A short sentence, e.g. "0 is below the expected range 951–1,120; weekly pattern".
    public func reason(at i: Int) -> String {
        let x = values[i]
        let model = self.model(at: i)
        let tail = model.map { "; " + $0.summary } ?? ""
        let v = formatNumber(x, significant: 6)
        let range = formatRange(lower: lower[i], upper: upper[i])
        switch reasons[i] {
        case .coldStart:
            // Negative: the scan interval was not known yet, and a season may need more.
            let n = Int(Swift.abs(details[i]))
            return "needs \(details[i] < 0 ? "at least " : "")\(n) more point\(n == 1 ? "" : "s")"
        case .missing:
            return "value missing" + (lower[i].isNaN ? "" : "; expected range " + range) + tail
        case .normal:
            if lower[i].isNaN || upper[i].isNaN {
                return "\(v): no expected range (the model could not compute one for values this large)" + tail
            }
            if isPointBand(lower: lower[i], upper: upper[i]) { return "\(v) is the expected value" + tail }
            return "\(v) is within the expected range \(range)" + tail
        case .above, .below:
            let side = reasons[i] == .above ? "above" : "below"
            if isPointBand(lower: lower[i], upper: upper[i]) {
                return "\(v) is \(side) the expected value \(formatNumber(expected[i], significant: 12))" + tail
            }
            return "\(v) is \(side) the expected range \(range)" + tail
        case .drift:
            let way = details[i] > 0 ? "up" : "down"
            return "\(v) is within the expected range \(range), but the metric has been drifting \(way)" + tail
        case .jump:
            let way = details[i] > 0 ? "up" : "down"
            return "\(v) is within the expected range \(range), but jumped \(way) far more than this metric "
                + "usually moves from one point to the next" + tail
        case .slowChange where Swift.abs(details[i]) == 2:
            return "\(v) is within the expected range \(range), but this metric has recently become far noisier "
                + "than usual (its typical move from one point to the next has grown)" + tail
        case .slowChange:
            let way = details[i] > 0 ? "up" : "down"
            return "\(v) is within the expected range \(range), but the recent level has moved \(way) far more "
                + "than this metric's level usually wanders" + tail
        case .spreadChange:
            let more = details[i] > 0 ? "more" : "less"
            return "\(v): large moves have become far \(more) frequent than usual for this metric; expected range "
                + range + tail
        case .stuck:
            return "\(v) has not changed for \(details[i]) points although this metric usually changes" + tail
        case .levelShift:
            let side = x > expected[i] ? "above" : "below"
            return "\(v) is \(side) the expected range \(range); persistent level shift: "
                + "the baseline restarts from the last \(details[i]) points" + tail
        case .regimeChange:
            let side = x > expected[i] ? "above" : "below"
            return "\(v) is \(side) the expected range \(range); \(details[i]) of the last 50 points were outside "
                + "the range, so the baseline now takes them in" + tail
        }
    }
}

/// The verdict on one point (the latest one, for `AnomalyDetector.checkLatest`).
public struct PointCheck: Sendable {
    /// The point's time (epoch milliseconds).
    public var time: Int64
    /// The point's value.
    public var value: Double
    /// Expected value (NaN during cold start).
    public var expected: Double
    /// Lower end of the expected range.
    public var lower: Double
    /// Upper end of the expected range.
    public var upper: Double
    /// 0…1, see `AnomalyResult.score`.
    public var score: Double
    /// Whether the point alerts.
    public var anomaly: Bool
    /// Whether the point raises a new alert (see `AnomalyResult.alert`).
    public var alert: Bool
    /// Why, as a code.
    public var reasonCode: ReasonCode
    /// Code-specific detail, see `AnomalyResult.details`.
    public var detail: Int32
    /// The model that judged the point (nil during cold start).
    public var model: ModelDescription?
    /// The human reason (formatted once).
    public var reason: String
}

/// Future points with their expected ranges.
public struct Forecast: Sendable {
    /// Times continuing the series' typical step.
    public var times: [Int64]
    /// Expected values.
    public var expected: [Double]
    /// Lower ends of the expected ranges.
    public var lower: [Double]
    /// Upper ends of the expected ranges.
    public var upper: [Double]
    /// The model that produced it (nil when the history is too short).
    public var model: ModelDescription?
    /// Points still needed before a forecast can be made (0 when `times` is filled).
    public var needed: Int
}
