/// One detector setting to back-test.
public struct BacktestSetting: Sendable, Hashable {
    /// The method to try.
    public var method: AnomalyMethod
    /// The sensitivity to try.
    public var sensitivity: Double

    /// A setting to back-test.
    public init(method: AnomalyMethod, sensitivity: Double) {
        self.method = method
        self.sensitivity = sensitivity
    }
}

/// How one setting did on a series.
public struct BacktestResult: Sendable {
    /// The setting these figures are for.
    public var setting: BacktestSetting
    /// Points that were judged (not cold start, not missing).
    public var judged: Int
    /// Alerts: points whose `AnomalyResult.alert` is true — the flagged points, unless the base options set a
    /// refractory period or the likelihood gate.
    public var alerts: Int
    /// Alert events: runs of consecutive alerts count once.
    public var alertEvents: Int
    /// Alerts per 1,000 judged points.
    public var alertsPer1000: Double
    /// Alert events per 1,000 judged points.
    public var eventsPer1000: Double
    /// Alerts on points that are labelled anomalies.
    public var truePositives: Int
    /// Labelled anomaly points that were judged.
    public var labelledAnomalies: Int
    /// Labelled incidents (runs of consecutive anomaly labels) and how many had at least one alert.
    public var labelledEvents: Int
    /// Labelled incidents with at least one alert.
    public var caughtEvents: Int
    /// Share of alerts that are on labelled anomalies (nil without labels or without alerts).
    public var precision: Double?
    /// Share of labelled anomaly points that alerted (nil without labelled anomalies).
    public var recall: Double?
    /// Share of labelled incidents caught at least once (nil without labelled anomalies).
    public var eventRecall: Double?
}

/// Back-tests settings on one series: walks the series forward with each (method, sensitivity), keeping the
/// other options from `base`, and reports alert volume and, when labels are given, precision and recall against
/// them (`.anomaly` labels are positives; everything else is negative). Alerts are the `alert` column: every
/// flagged point with the default options, fewer with `base.refractory` or `base.likelihoodGate`.
///
/// The labels are only used for scoring, not given to the detector, so the figures show what the detector
/// would have said without anyone's help.
public func backtest(times: [Int64], values: [Double], labels: [Feedback]? = nil, settings: [BacktestSetting],
                     base: AnomalyOptions = AnomalyOptions()) -> [BacktestResult] {
    precondition(labels == nil || labels!.count == values.count, "labels must match values")
    return settings.map { setting in
        var o = base
        o.method = setting.method
        o.sensitivity = setting.sensitivity
        let r = AnomalyDetector(options: o).detect(times: times, values: values)
        var judged = 0, alerts = 0, events = 0, tp = 0, positives = 0
        var labelledEvents = 0, caught = 0
        var inAlert = false, inLabel = false, labelCaught = false
        for i in 0..<r.count {
            let isPositive = labels?[i] == .anomaly
            if isPositive && !inLabel { labelledEvents += 1; labelCaught = false }
            if !isPositive && inLabel && labelCaught { caught += 1 }
            inLabel = isPositive
            let isJudged = r.reasons[i] != .coldStart && r.reasons[i] != .missing
            if isJudged {
                judged += 1
                if isPositive { positives += 1 }
            }
            if r.alert[i] {
                alerts += 1
                if !inAlert { events += 1 }
                if isPositive { tp += 1; labelCaught = true }
            }
            inAlert = r.alert[i]
        }
        if inLabel && labelCaught { caught += 1 }
        let per = judged > 0 ? 1000 / Double(judged) : 0
        let hasLabels = labels != nil
        return BacktestResult(
            setting: setting, judged: judged, alerts: alerts, alertEvents: events,
            alertsPer1000: Double(alerts) * per, eventsPer1000: Double(events) * per,
            truePositives: tp, labelledAnomalies: positives, labelledEvents: labelledEvents, caughtEvents: caught,
            precision: hasLabels && alerts > 0 ? Double(tp) / Double(alerts) : nil,
            recall: positives > 0 ? Double(tp) / Double(positives) : nil,
            eventRecall: labelledEvents > 0 ? Double(caught) / Double(labelledEvents) : nil)
    }
}
