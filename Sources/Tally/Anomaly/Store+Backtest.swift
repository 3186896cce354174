import TallyAnalysis
import TallyQuery
import TallyStorage

/// How detector settings would have alerted on a store's history (`tally backtest`).
public struct StoreBacktestReport: Sendable {
    /// The figures of one setting, on one series or summed over all.
    public struct Row: Sendable {
        /// The setting.
        public var method: AnomalyMethod
        public var sensitivity: Double
        /// The series these figures are for; nil for the sum over all series.
        public var series: SeriesKey?
        /// Series walked (1 for a per-series row).
        public var seriesCount: Int
        /// Points in the window that were judged (not cold start, not missing).
        public var judged: Int
        /// Alerts (the `alert` column: every flagged point with the default options, fewer with
        /// `refractory=` or `likelihood=on`), and alert events (runs of consecutive alerts count once).
        public var alerts: Int
        public var alertEvents: Int
        /// Flagged points (the `anomaly` column), before the refractory period and the likelihood gate; equal to
        /// `alerts` with the default options.
        public var flagged: Int
        /// Series with feedback in the window (their figures make precision and recall).
        public var seriesWithFeedback: Int
        /// Alerts on points with an `anomaly` verdict; judged points with one; alerts of series with feedback.
        public var truePositives: Int
        public var labelledAnomalies: Int
        public var alertsWithFeedback: Int
        /// Runs of consecutive `anomaly` verdicts, and how many of them had at least one alert.
        public var labelledEvents: Int
        public var caughtEvents: Int

        /// Alerts per 1,000 judged points (scans).
        public var alertsPer1000: Double { judged > 0 ? Double(alerts) * 1000 / Double(judged) : 0 }
        /// Alert events per 1,000 judged points.
        public var eventsPer1000: Double { judged > 0 ? Double(alertEvents) * 1000 / Double(judged) : 0 }
        /// Share of the alerts of series with feedback that fell on points marked `anomaly` (nil without such alerts).
        public var precision: Double? {
            seriesWithFeedback > 0 && alertsWithFeedback > 0 ? Double(truePositives) / Double(alertsWithFeedback) : nil
        }
        /// Share of the points marked `anomaly` that alerted (nil without any).
        public var recall: Double? { labelledAnomalies > 0 ? Double(truePositives) / Double(labelledAnomalies) : nil }
        /// Share of the incidents marked `anomaly` with at least one alert (nil without any).
        public var eventRecall: Double? { labelledEvents > 0 ? Double(caughtEvents) / Double(labelledEvents) : nil }

        mutating func add(_ other: Row) {
            seriesCount += other.seriesCount
            judged += other.judged
            alerts += other.alerts
            alertEvents += other.alertEvents
            flagged += other.flagged
            seriesWithFeedback += other.seriesWithFeedback
            truePositives += other.truePositives
            labelledAnomalies += other.labelledAnomalies
            alertsWithFeedback += other.alertsWithFeedback
            labelledEvents += other.labelledEvents
            caughtEvents += other.caughtEvents
        }
    }

    /// The window the alerts were counted in.
    public var from: Int64
    public var to: Int64
    /// One row per setting, summed over the series, in the order of the settings.
    public var totals: [Row]
    /// One row per series and setting (series in selector order, then settings).
    public var perSeries: [Row]
}

extension Store {
    /// Walks every series `selector` chooses with each setting and counts, for the points in `from ..< to`, how
    /// often it would have alerted, and — against the verdicts stored with `setFeedback` — precision and recall.
    /// Alerts are the `alert` column, so `base.refractory` and `base.likelihoodGate` thin them (an alert before
    /// `from`, in the look-back, starts a refractory period that reaches into the window); `flagged` counts the
    /// `anomaly` flags underneath.
    ///
    /// Each walk starts a look-back (365 days, or `base.training` when longer; at most 20,000 points) before
    /// `from`, so the window's first points are judged with history, as a check would have judged them. The
    /// verdicts are used only for scoring, never given to the detector. A series with any verdict in the
    /// window is taken as fully reviewed: an alert on a point without an `anomaly` verdict counts as a false
    /// alert.
    public func backtest(_ selector: SeriesSelector, from: Int64, to: Int64 = .max, settings: [BacktestSetting],
                         base: AnomalyOptions = AnomalyOptions()) throws -> StoreBacktestReport {
        var totals = settings.map {
            StoreBacktestReport.Row(method: $0.method, sensitivity: $0.sensitivity, series: nil, seriesCount: 0,
                                    judged: 0, alerts: 0, alertEvents: 0, flagged: 0, seriesWithFeedback: 0, truePositives: 0,
                                    labelledAnomalies: 0, alertsWithFeedback: 0, labelledEvents: 0, caughtEvents: 0)
        }
        var perSeries: [StoreBacktestReport.Row] = []
        let lookback = AnomalyStageExtension.lookback(for: base.training)
        let warmStart = timeShift(from, back: lookback)
        for info in series(matching: selector) {
            let columns = try read(info.id, in: TimeRange(from: warmStart, to: to))
            var times: [Int64] = [], values: [Double] = []
            for i in 0..<columns.times.count where optionalValue(columns.values[i]) != nil {
                times.append(columns.times[i])
                values.append(columns.values[i])
            }
            let firstInWindow = times.firstIndex { $0 >= from } ?? times.count
            let drop = Swift.max(0, firstInWindow - AnomalyStageExtension.maxHistoryPoints)
            if drop > 0 {
                times.removeFirst(drop)
                values.removeFirst(drop)
            }
            let window = (firstInWindow - drop)..<times.count
            guard !window.isEmpty else { continue }
            let verdicts = try feedback(series: [info.id], in: TimeRange(from: from, to: to))
            var labels: [Feedback]? = nil
            if !verdicts.isEmpty {
                var byTime: [Int64: Feedback] = [:]
                for v in verdicts { byTime[v.time] = Feedback(v.verdict) }
                labels = times.map { byTime[$0] ?? .none }
            }
            for (k, setting) in settings.enumerated() {
                var options = base
                options.method = setting.method
                options.sensitivity = setting.sensitivity
                let r = AnomalyDetector(options: options).detect(times: times, values: values)
                var row = StoreBacktestReport.Row(
                    method: setting.method, sensitivity: setting.sensitivity, series: info.key, seriesCount: 1,
                    judged: 0, alerts: 0, alertEvents: 0, flagged: 0, seriesWithFeedback: labels == nil ? 0 : 1, truePositives: 0,
                    labelledAnomalies: 0, alertsWithFeedback: 0, labelledEvents: 0, caughtEvents: 0)
                var inAlert = false, inLabel = false, labelCaught = false
                for i in window {
                    let positive = labels?[i] == .anomaly
                    if positive && !inLabel { row.labelledEvents += 1; labelCaught = false }
                    if !positive && inLabel && labelCaught { row.caughtEvents += 1 }
                    inLabel = positive
                    if r.reasons[i] != .coldStart && r.reasons[i] != .missing {
                        row.judged += 1
                        if positive { row.labelledAnomalies += 1 }
                    }
                    if r.anomaly[i] { row.flagged += 1 }
                    if r.alert[i] {
                        row.alerts += 1
                        if labels != nil { row.alertsWithFeedback += 1 }
                        if !inAlert { row.alertEvents += 1 }
                        if positive { row.truePositives += 1; labelCaught = true }
                    }
                    inAlert = r.alert[i]
                }
                if inLabel && labelCaught { row.caughtEvents += 1 }
                totals[k].add(row)
                perSeries.append(row)
            }
        }
        return StoreBacktestReport(from: from, to: to, totals: totals, perSeries: perSeries)
    }
}
