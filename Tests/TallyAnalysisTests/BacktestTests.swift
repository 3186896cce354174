import Testing
import TallyAnalysis

@Suite struct BacktestTests {
    @Test func countsAlertsAndScoresThemAgainstLabels() {
        var g = SeriesMaker(seed: 71)
        var values = g.counts(400, mean: 1_000, relative: 0.03)
        var labels = Array(repeating: Feedback.none, count: 400)
        for i in [100, 200, 300] {
            values[i] = 2_500
            labels[i] = .anomaly
        }
        let settings = [BacktestSetting(method: .auto, sensitivity: 3), BacktestSetting(method: .auto, sensitivity: 6),
                        BacktestSetting(method: .level, sensitivity: 2)]
        let rows = backtest(times: SeriesMaker.daily(400), values: values, labels: labels, settings: settings)
        #expect(rows.count == 3)
        for row in rows {
            let r = AnomalyDetector(options: AnomalyOptions(method: row.setting.method,
                                                            sensitivity: row.setting.sensitivity))
                .detect(times: SeriesMaker.daily(400), values: values)
            #expect(row.alerts == r.flagged.count)
            #expect(row.judged == r.judged.count)
            #expect(abs(row.alertsPer1000 - 1000 * Double(row.alerts) / Double(row.judged)) < 1e-9)
            #expect(row.labelledAnomalies == 3 && row.labelledEvents == 3)
            #expect(row.precision == Double(row.truePositives) / Double(row.alerts))
            #expect(row.recall == Double(row.truePositives) / 3)
        }
        #expect(rows[0].recall == 1 && rows[0].eventRecall == 1)
        #expect(rows[1].alerts <= rows[0].alerts)
        #expect(rows[2].alerts >= rows[0].alerts)
    }

    @Test func withoutLabelsThereIsNoPrecision() {
        var g = SeriesMaker(seed: 72)
        let values = g.counts(100, mean: 50, relative: 0.1)
        let rows = backtest(times: SeriesMaker.daily(100), values: values,
                            settings: [BacktestSetting(method: .auto, sensitivity: 3)])
        #expect(rows[0].precision == nil && rows[0].recall == nil)
        #expect(rows[0].judged == 86)
    }
}
