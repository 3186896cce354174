import Glibc
import Testing
@testable import TallyAnalysis

/// Alerts (`AnomalyResult.alert`): the refractory period, the likelihood gate, and the streaming profile; and the
/// hourly season for minute-level telemetry.
@Suite struct AlertTests {
    /// 200 daily counts with a three-day drop at 100 and a spike at 150.
    func incidentSeries() -> (times: [Int64], values: [Double]) {
        var g = SeriesMaker(seed: 11)
        var values = g.counts(200, mean: 1_000, relative: 0.02)
        for i in 100..<103 { values[i] = 300 }
        values[150] = 2_000
        return (SeriesMaker.daily(200), values)
    }

    @Test func byDefaultEveryFlagIsAnAlert() {
        let s = incidentSeries()
        let r = AnomalyDetector().detect(times: s.times, values: s.values)
        #expect(r.alert == r.anomaly)
        #expect(r.anomaly[100] && r.anomaly[101] && r.anomaly[102] && r.anomaly[150])
    }

    @Test func refractoryRaisesOneAlertPerIncident() throws {
        let s = incidentSeries()
        let r = try AnomalyDetector("refractory=10").detect(times: s.times, values: s.values)
        // The drop alerts once, on its first point; the flags stay.
        #expect(r.alert[100])
        #expect(!r.alert[101] && !r.alert[102])
        #expect(r.anomaly[101] && r.anomaly[102])
        // A later, separate incident alerts again.
        #expect(r.alert[150])
        // Every alert is a flag.
        #expect(r.alert.indices.allSatisfy { !r.alert[$0] || r.anomaly[$0] })
        // A refractory longer than the gap between the incidents swallows the second one.
        let long = try AnomalyDetector("refractory=60").detect(times: s.times, values: s.values)
        #expect(long.alert[100] && !long.alert[150] && long.anomaly[150])
    }

    @Test func refractoryAsADuration() throws {
        let s = incidentSeries()
        let r = try AnomalyDetector("refractory=2d").detect(times: s.times, values: s.values)
        #expect(r.alert[100] && !r.alert[101] && !r.alert[102])
        let short = try AnomalyDetector("refractory=12h").detect(times: s.times, values: s.values)
        #expect(short.alert[100] && short.alert[101] && short.alert[102])
    }

    @Test func likelihoodGateKeepsAlertsOnAQuietSeries() throws {
        // A well-modelled series: a rare spike is unusual for it, so it passes the gate; the gate never changes
        // the flags.
        var g = SeriesMaker(seed: 11)
        var values = g.counts(300, mean: 1_000, relative: 0.02)
        values[250] = 2_000
        let times = SeriesMaker.daily(300)
        let r = try AnomalyDetector("likelihood=on").detect(times: times, values: values)
        #expect(r.anomaly == AnomalyDetector().detect(times: times, values: values).anomaly)
        #expect(r.anomaly[250] && r.alert[250])
        // The strict gate (round 6) lets it through too: the spike is a large deviation after ordinary ones.
        let strict = try AnomalyDetector("likelihood=strict").detect(times: times, values: values)
        #expect(strict.anomaly == r.anomaly && strict.alert[250])
    }

    @Test func likelihoodGateStillAlertsOnAStepOnABurstySeries() throws {
        // The same bursty series, then the metric collapses to a tenth for 20 hours: a stretch far more
        // surprising than the bursts, so the gate opens.
        var g = SeriesMaker(seed: 13)
        let n = 3000
        var values = (0..<n).map { _ in
            g.unit() < 0.03 ? (100 * (3 + 5 * g.unit())).rounded() : g.noisy(100, relative: 0.1).rounded()
        }
        for i in 2500..<2520 { values[i] = 10 }
        for gate in ["likelihood=on", "likelihood=strict"] {
            let r = try AnomalyDetector(gate + " refractory=100").detect(times: SeriesMaker.hourly(n), values: values)
            #expect((2500..<2510).contains { r.alert[$0] }, "\(gate)")
        }
    }

    @Test func theStrictGateOnlyHoldsBackAlertsOfTheGate() throws {
        // Without a refractory period, `likelihood=strict` adds a second condition to the same gate: every alert it
        // raises is an alert of `likelihood=on`, and the flags are the same. On bursty series it holds some back.
        var heldBack = 0
        for seed in UInt64(1)...5 {
            var g = SeriesMaker(seed: seed)
            let n = 3000
            let values = (0..<n).map { _ in
                g.unit() < 0.03 ? (100 * (3 + 5 * g.unit())).rounded() : g.noisy(100, relative: 0.1).rounded()
            }
            let times = SeriesMaker.hourly(n)
            let on = try AnomalyDetector("likelihood=on").detect(times: times, values: values)
            let strict = try AnomalyDetector("likelihood=strict").detect(times: times, values: values)
            #expect(strict.anomaly == on.anomaly)
            #expect(strict.alert.indices.allSatisfy { !strict.alert[$0] || on.alert[$0] }, "seed \(seed)")
            heldBack += on.alert.filter { $0 }.count - strict.alert.filter { $0 }.count
        }
        #expect(heldBack > 0, "the strict gate holds back some of the bursty series' alerts")
    }

    @Test func streamingProfileIsItsText() throws {
        let s = AnomalyOptions.streaming
        #expect(s.sensitivity == 3.5 && s.refractory == .points(100) && s.likelihood == .strict)
        #expect(s.likelihoodWindow == 2000 && s.jumpRecord == 1000)
        #expect(s.localSensitivity == 4.5 && s.recurring && s.slowSensitivity == 3.5 && s.spreadSensitivity == 4)
        #expect(s.noiseSensitivity == nil)
        #expect(try AnomalyOptions.parse("sensitivity=3.5 local=4.5 refractory=100 likelihood=strict jump_record=1000 "
                                         + "recurring=on slow=3.5 spread=4") == s)
        #expect(try AnomalyOptions.parse(s.text) == s)
        #expect(s.thinsAlerts && s.alertRulesText == "refractory=100p likelihood=strict jump_record=1000 recurring=on")
        #expect(!AnomalyOptions().thinsAlerts && AnomalyOptions().alertRulesText.isEmpty)
        #expect(try AnomalyOptions.parse("recurring=on").thinsAlerts)
        #expect(try AnomalyOptions.parse("jump_record=500").alertRulesText.isEmpty)   // nothing without the gate
        #expect(try AnomalyOptions.parse("likelihood=on likelihood_window=4000 refractory=8h").alertRulesText
                == "refractory=8h likelihood=on likelihood_window=4000")
        #expect(try AnomalyOptions.parse("refractory=8h").refractory == .duration(8 * 3_600_000))
        #expect(try AnomalyOptions.parse("refractory=off").refractory == .off)
        #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse("refractory=soon") }
        #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse("likelihood=maybe") }
    }

    @Test func likelihoodOptionsParseAndWriteBack() throws {
        let strict = try AnomalyOptions.parse("likelihood=strict")
        #expect(strict.likelihood == .strict && strict.likelihoodGate && strict.likelihoodWindow == 2000)
        #expect(strict.text.contains("likelihood=strict") && !strict.text.contains("likelihood_window"))
        let on = try AnomalyOptions.parse("likelihood=on")
        #expect(on.likelihood == .on && on.likelihoodGate)
        #expect(try !AnomalyOptions.parse("likelihood=off").likelihoodGate)
        let window = try AnomalyOptions.parse("likelihood=on likelihood_window=4000")
        #expect(window.likelihoodWindow == 4000 && window.text.contains("likelihood_window=4000"))
        #expect(try AnomalyOptions.parse("likelihoodWindow=500p").likelihoodWindow == 500)
        for o in [strict, on, window, AnomalyOptions.streaming] { #expect(try AnomalyOptions.parse(o.text) == o) }
        for bad in ["likelihood_window=50", "likelihood_window=200000", "likelihood_window=soon", "likelihood=half"] {
            #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse(bad) }
        }
        let error = #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse("likelihood_window=10") }
        #expect(error?.message.contains("likelihood_window") == true && error?.message.contains("100") == true)
        // Values set in code are kept within the range the text form accepts, so every value writes back.
        var coded = AnomalyOptions(likelihood: .on, likelihoodWindow: 50, jumpRecord: 1_000_000)
        #expect(coded.likelihoodWindow == 100 && coded.jumpRecord == 100_000)
        coded.likelihoodWindow = 10
        coded.jumpRecord = 20
        #expect(coded.likelihoodWindow == 100 && coded.jumpRecord == 100)
        #expect(try AnomalyOptions.parse(coded.text) == coded)
    }

    @Test func checkLatestReportsTheAlert() throws {
        let s = incidentSeries()
        let d = try AnomalyDetector("refractory=10")
        let first = d.checkLatest(times: Array(s.times[...100]), values: Array(s.values[...100]))!
        let second = d.checkLatest(times: Array(s.times[...101]), values: Array(s.values[...101]))!
        #expect(first.anomaly && first.alert)
        #expect(second.anomaly && !second.alert)
    }

    @Test func hourlyDipsInFiveMinuteDataAreLearned() {
        // Five-minute CPU-like telemetry wandering around 40, with a batch job that drops it to 15 for the first
        // ten minutes of every hour. The daily profile cannot see it (the level wanders from day to day); the
        // hourly cycle can, so after the cold start the dips do not alert, while a dip at the wrong minute does.
        var g = SeriesMaker(seed: 14)
        let n = 12 * 24 * 6
        var level = 40.0
        var values: [Double] = []
        for i in 0..<n {
            level += 0.3 * g.gaussian()
            level = min(max(level, 30), 50)
            values.append(i % 12 < 2 ? 15 + g.gaussian() : level + g.gaussian())
        }
        let wrong = n - 30  // minute 30 of an hour near the end
        values[wrong] = 15
        let r = AnomalyDetector().detect(times: SeriesMaker.fiveMinute(n), values: values)
        #expect(r.finalModel?.summary == "hourly pattern")
        let dips = (12 * 24 * 3..<n).filter { $0 % 12 < 2 }
        let flaggedDips = dips.filter { r.anomaly[$0] }.count
        #expect(flaggedDips * 50 < dips.count, "\(flaggedDips) of \(dips.count) hourly dips flagged")
        #expect(r.anomaly[wrong])
    }

    @Test func fiveMinuteDataWithOnlyADailyCycleKeepsTheDailyPattern() {
        // A daily sine (no hourly structure) with noise, at five-minute resolution: the hourly candidate must not
        // win, and pure noise gets no season at all.
        var g = SeriesMaker(seed: 16)
        let n = 12 * 24 * 5
        let daily = g.fiveMinuteDailyCycle(n)
        let r = AnomalyDetector().detect(times: SeriesMaker.fiveMinute(n), values: daily)
        #expect(r.finalModel?.summary == "daily pattern")
        let noise = (0..<n).map { _ in 100 + 2 * g.gaussian() }
        let q = AnomalyDetector().detect(times: SeriesMaker.fiveMinute(n), values: noise)
        #expect(q.models.allSatisfy { $0.seasonPeriod == nil })
    }

    @Test func dailyScansAreNeverGivenAnHourlySeason() {
        var g = SeriesMaker(seed: 15)
        let values = g.counts(120, mean: 5_000, relative: 0.03)
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(120), values: values)
        #expect(r.models.allSatisfy { $0.seasonPeriod != 3_600_000 })
    }
}

/// The likelihood gate on its own, fed deviations directly.
@Suite struct LikelihoodGateTests {
    @Test func opensAtOnceWhileHistoryIsShort() {
        var gate = LikelihoodGate(cap: 8)
        for _ in 0..<50 {
            let open = gate.observe(0.5)
            #expect(open)
        }
    }

    @Test func opensOnASustainedSurpriseInAQuietSeries() {
        var g = SeriesMaker(seed: 21)
        var gate = LikelihoodGate(cap: 8)
        for _ in 0..<1_000 { _ = gate.observe(abs(g.gaussian())) }
        var opened = false
        for _ in 0..<3 where !opened { opened = gate.observe(7) }
        #expect(opened, "a run of 7 σ deviations after 1,000 quiet points opens the gate within 3 points")
    }

    @Test func staysClosedForASurpriseThatIsUsualForTheSeries() {
        // Every fifth point deviates by 7 σ: the series is always this surprising, so one more such point (after
        // an ordinary one) is not unusual and the gate stays closed, although the flag itself is far out.
        var g = SeriesMaker(seed: 22)
        var gate = LikelihoodGate(cap: 8)
        for i in 0..<1_000 { _ = gate.observe(i % 5 == 0 ? 7 : abs(g.gaussian())) }
        let open = gate.observe(7)
        #expect(!open)
    }

    /// A bursty history (2% of points 7 σ out, the cap), then `moderate` nine times, then a flag just past 3.5 σ.
    func gateAfterANoisyStretch(seed: UInt64, strict: Bool) -> Bool {
        var g = SeriesMaker(seed: seed)
        var gate = LikelihoodGate(cap: 7, strict: strict)
        for _ in 0..<3_000 { _ = gate.observe(g.unit() < 0.02 ? 7 : abs(g.gaussian())) }
        for _ in 0..<9 { _ = gate.observe(1.5) }
        return gate.observe(3.6)
    }

    @Test func strictGateHoldsAFlagAtTheEdgeAfterAMerelyNoisyStretch() {
        // The last ten surprises are far above their usual level (the mean gate opens), but they hold no large
        // deviation: for a series whose surprise usually comes in 7 σ bursts that is not unusual weight, and the
        // mean square stays inside its usual range.
        for seed in UInt64(1)...5 {
            #expect(gateAfterANoisyStretch(seed: seed, strict: false), "seed \(seed): the mean alone opens")
            #expect(!gateAfterANoisyStretch(seed: seed, strict: true), "seed \(seed): the strict gate stays closed")
        }
    }

    @Test func strictGateOpensForALargeDeviationInAQuietSeries() {
        for seed in UInt64(1)...5 {
            var g = SeriesMaker(seed: seed)
            var gate = LikelihoodGate(cap: 8, strict: true)
            for _ in 0..<1_000 { _ = gate.observe(abs(g.gaussian())) }
            let open = gate.observe(7)
            #expect(open, "seed \(seed): one 7 σ deviation after 1,000 quiet points opens the gate")
        }
    }

    @Test func theLongWindowRemembersAnOlderBurstyStretch() {
        // 2,000 points with a 7 σ deviation on every fifth, then 2,500 quiet points, then a single 7 σ deviation:
        // over the last 2,000 points the series is quiet and the deviation is unusual; over 4,000 the bursty stretch
        // is still in the history, and the same deviation is ordinary for this series.
        for seed in UInt64(1)...5 {
            var g = SeriesMaker(seed: seed)
            var short = LikelihoodGate(cap: 8)
            var long = LikelihoodGate(cap: 8, longWindow: 4_000)
            for i in 0..<4_500 {
                let d = i < 2_000 && i % 5 == 0 ? 7 : abs(g.gaussian())
                _ = short.observe(d)
                _ = long.observe(d)
            }
            for _ in 0..<9 {
                let d = abs(g.gaussian())
                _ = short.observe(d)
                _ = long.observe(d)
            }
            let shortOpen = short.observe(7)
            let longOpen = long.observe(7)
            #expect(shortOpen, "seed \(seed): over 2,000 points the deviation is unusual")
            #expect(!longOpen, "seed \(seed): over 4,000 points it is ordinary")
        }
    }

    @Test func ignoresMissingDeviations() {
        var gate = LikelihoodGate(cap: 8)
        for _ in 0..<200 { _ = gate.observe(0.5) }
        let open = gate.observe(.nan)
        #expect(!open)
    }
}
