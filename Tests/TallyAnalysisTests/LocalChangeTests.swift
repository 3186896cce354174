import Glibc
import Testing
@testable import TallyAnalysis

/// The local-change view (`local=`, reason `jump`) and recurring flags (`recurring=on`), both part of the
/// streaming profile.
@Suite struct LocalChangeTests {
    /// A smooth series that wanders: a slow wave of amplitude 10 plus a random walk with steps of σ 0.1, so the
    /// level over a training window moves far more than one value moves from the next.
    func wandering(_ n: Int, seed: UInt64) -> [Double] {
        var g = SeriesMaker(seed: seed)
        var walk = 0.0
        return (0..<n).map { i in
            walk += 0.1 * g.gaussian()
            return 50 + 10 * sin(Double(i) * 2 * Double.pi / 700) + walk
        }
    }

    @Test func aSuddenMoveInsideTheBandOfASmoothSeriesIsAJump() throws {
        let n = 1_500
        var values = wandering(n, seed: 5)
        // A step of +6 (about 60 usual moves) at 1,200 that stays: small against the window's wandering level.
        for i in 1_200..<n { values[i] += 6 }
        let times = SeriesMaker.hourly(n)
        let plain = try AnomalyDetector("method=level").detect(times: times, values: values)
        #expect(!plain.anomaly[1_200], "premise: the baseline band alone is too wide to see the step")
        #expect(values[1_200] < plain.upper[1_200])

        let r = try AnomalyDetector("method=level local=on").detect(times: times, values: values)
        #expect(r.anomaly[1_200])
        #expect(r.reasons[1_200] == .jump && r.details[1_200] == 1)
        #expect(r.reason(at: 1_200).contains("jumped up"))
        // Same range as without the local view up to there: the view adds flags, not a different baseline.
        #expect(r.expected[1_200] == plain.expected[1_200] && r.upper[1_200] == plain.upper[1_200])
        // The smooth stretch before the step raises no (or almost no) jumps.
        #expect((100..<1_200).filter { r.reasons[$0] == .jump }.count <= 2)
        // A downward move is reported as such, and `direction=up` ignores it.
        var down = wandering(n, seed: 5)
        for i in 1_200..<n { down[i] -= 6 }
        let d = try AnomalyDetector("method=level local=on").detect(times: times, values: down)
        #expect(d.reasons[1_200] == .jump && d.details[1_200] == -1)
        let up = try AnomalyDetector("method=level local=on direction=up").detect(times: times, values: down)
        #expect(!up.anomaly[1_200])
    }

    @Test func theLocalViewAddsNothingOnIndependentNoise() throws {
        // Around a level with independent noise, successive values are no closer to each other than to the level
        // (moves have σ·√2), so the local view is never sharper than the baseline and changes no flag.
        var g = SeriesMaker(seed: 8)
        var values = (0..<2_000).map { _ in 100 + 5 * g.gaussian() }
        values[1_500] = 140
        let times = SeriesMaker.fiveMinute(2_000)
        let plain = try AnomalyDetector("method=level").detect(times: times, values: values)
        let local = try AnomalyDetector("method=level local=on").detect(times: times, values: values)
        #expect(local.anomaly == plain.anomaly)
        #expect(!local.reasons.contains(.jump))
        #expect(local.anomaly[1_500])
    }

    @Test func recurringFlagsRaiseNoAlert() throws {
        // Five-minute data with a spike at about 03:00 every day (drifting by five minutes a day, as a nightly job
        // does), and one spike at 15:00 on day 5.
        let perDay = 288
        let n = 7 * perDay
        var g = SeriesMaker(seed: 3)
        var values = (0..<n).map { _ in 10 + g.gaussian() }
        var nightly: [Int] = []
        for day in 0..<7 {
            let i = day * perDay + 36 + day
            values[i] = 30
            nightly.append(i)
        }
        let afternoon = 5 * perDay + 180
        values[afternoon] = 30
        let times = SeriesMaker.fiveMinute(n)
        let r = try AnomalyDetector("method=level recurring=on").detect(times: times, values: values)
        // Every spike is flagged.
        #expect(nightly.allSatisfy { r.anomaly[$0] } && r.anomaly[afternoon])
        // The first two nights alert; from the third on, the spike has recurred on the two nights before.
        #expect(r.alert[nightly[0]] && r.alert[nightly[1]])
        #expect(nightly[2...].allSatisfy { !r.alert[$0] })
        // A spike at another time of day still alerts.
        #expect(r.alert[afternoon])
        // Without the option every flag alerts.
        let plain = try AnomalyDetector("method=level").detect(times: times, values: values)
        #expect(plain.alert == plain.anomaly)
        // A recurrence on one side only: a dip at the nightly time is not excused by the spikes.
        var dipped = values
        dipped[6 * perDay + 36 + 6] = -10
        let dip = try AnomalyDetector("method=level recurring=on").detect(times: times, values: dipped)
        #expect(dip.anomaly[6 * perDay + 42] && dip.alert[6 * perDay + 42])
        // The same with the local view on (the likelihood gate then sees unsigned surprises; the side still
        // comes from the flag).
        let both = try AnomalyDetector("method=level recurring=on local=on").detect(times: times, values: dipped)
        #expect(both.alert[6 * perDay + 42] && !both.alert[nightly[3]])
    }

    @Test func optionsParseAndWriteBack() throws {
        let o = try AnomalyOptions.parse("local=4.5 recurring=on")
        #expect(o.localSensitivity == 4.5 && o.recurring)
        #expect(o.text.contains("local=4.5 recurring=on"))
        #expect(try AnomalyOptions.parse(o.text) == o)
        let on = try AnomalyOptions.parse("sensitivity=3 local=on")
        #expect(on.localSensitivity == 0 && on.localBand == 3 && on.text.contains("local=on"))
        #expect(try AnomalyOptions.parse(on.text) == on)
        #expect(AnomalyOptions().localSensitivity == nil && !AnomalyOptions().recurring)
        #expect(AnomalyOptions().text.contains("local=off recurring=off"))
        #expect(try AnomalyOptions.parse(AnomalyOptions.streaming.text) == .streaming)
        #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse("local=loud") }
        #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse("recurring=maybe") }
    }
}
