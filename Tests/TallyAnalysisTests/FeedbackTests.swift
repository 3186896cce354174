import Testing
import TallyAnalysis

/// Past incidents and user verdicts.
@Suite struct FeedbackTests {
    @Test func confirmedAnomaliesNeverTrainNorBecomeALevelShift() {
        var g = SeriesMaker(seed: 41)
        var values = g.counts(60, mean: 1_000, relative: 0.02)
        values += g.counts(20, mean: 600, relative: 0.02)
        var feedback = Array(repeating: Feedback.none, count: 80)
        for i in 60..<80 { feedback[i] = .anomaly }
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(80), values: values, feedback: feedback)
        #expect((60..<80).allSatisfy { r.anomaly[$0] })
        #expect(!(60..<80).contains { r.reasons[$0] == .levelShift || r.reasons[$0] == .regimeChange })
        #expect(r.expected[79] > 950)
        // Without the verdicts the drop is accepted as the new level.
        let plain = AnomalyDetector().detect(times: SeriesMaker.daily(80), values: values)
        #expect((60..<80).contains { plain.reasons[$0] == .levelShift })
        #expect(plain.expected[79] < 650)
    }

    @Test func expectedVerdictTrainsFlaggedPoints() {
        // Eight month-end loads of ~700 rows in a table that usually gets ~500; the user marks them normal.
        var g = SeriesMaker(seed: 42)
        var values = g.counts(40, mean: 500, relative: 0.02)
        var feedback = Array(repeating: Feedback.none, count: 40)
        for _ in 0..<8 {
            values += g.counts(4, mean: 500, relative: 0.02) + [g.noisy(700, relative: 0.02).rounded()]
            feedback += [.none, .none, .none, .none, .expected]
        }
        values.append(700)
        feedback.append(.none)
        let n = values.count
        let options = AnomalyOptions(method: .level, levelShiftPoints: 0)
        let plain = AnomalyDetector(options: options).detect(times: SeriesMaker.daily(n), values: values)
        let told = AnomalyDetector(options: options).detect(times: SeriesMaker.daily(n), values: values,
                                                             feedback: feedback)
        #expect(plain.anomaly[44] && told.anomaly[44], "the verdict does not rewrite the past")
        #expect(plain.anomaly[n - 1], "unmarked, a 700 stays an anomaly")
        #expect(!told.anomaly[n - 1], "marked normal, 700 is now within the range")
    }

    /// Marking the first points of a new level `expected` never makes the detector slower to accept it: the
    /// re-baselining comes no later than without the verdicts, and no later point alerts that did not before.
    @Test(arguments: [1, 2, 3, 4])
    func expectedVerdictsOnANewLevelNeverDelayIt(marked: Int) {
        var g = SeriesMaker(seed: 44)
        let values = g.counts(80, mean: 1_000, relative: 0.02) + g.counts(30, mean: 500, relative: 0.02)
        var feedback = Array(repeating: Feedback.none, count: values.count)
        for i in 80..<(80 + marked) { feedback[i] = .expected }
        let times = SeriesMaker.daily(values.count)
        let plain = AnomalyDetector().detect(times: times, values: values)
        let told = AnomalyDetector().detect(times: times, values: values, feedback: feedback)
        let plainShift = (80..<110).first { plain.reasons[$0] == .levelShift }
        let toldShift = (80..<110).first { told.reasons[$0] == .levelShift }
        #expect(plainShift != nil)
        #expect(toldShift != nil && toldShift! <= plainShift!, "\(String(describing: toldShift)) > \(String(describing: plainShift))")
        for i in (80 + marked)..<110 where told.anomaly[i] {
            #expect(plain.anomaly[i], "point \(i) alerts only with the verdicts")
        }
        #expect(told.expected[109] < 600 && told.lower[109] < 500 && told.upper[109] > 500)
    }

    @Test func excludedPointsAreJudgedButDoNotTrain() {
        var g = SeriesMaker(seed: 43)
        var values = g.counts(60, mean: 200, relative: 0.03)
        values += (0..<15).map { _ in g.noisy(206, relative: 0.03).rounded() }   // a backfill, slightly high
        values += g.counts(10, mean: 200, relative: 0.03)
        var feedback = Array(repeating: Feedback.none, count: 85)
        for i in 60..<75 { feedback[i] = .exclude }
        let excluded = AnomalyDetector().detect(times: SeriesMaker.daily(85), values: values, feedback: feedback)
        var missing = values
        for i in 60..<75 { missing[i] = .nan }
        let without = AnomalyDetector().detect(times: SeriesMaker.daily(85), values: missing)
        #expect(excluded.reasons[65] != .missing && !excluded.expected[65].isNaN)
        for i in 75..<85 {
            #expect(excluded.expected[i] == without.expected[i])
            #expect(excluded.upper[i] == without.upper[i])
        }
    }

    @Test func aPastIncidentDoesNotWidenTheRange() {
        var g = SeriesMaker(seed: 44)
        let clean = g.counts(120, mean: 5_000, relative: 0.03)
        var incident = clean
        for i in 60..<63 { incident[i] = (clean[i] * 0.3).rounded() }
        let a = AnomalyDetector().detect(times: SeriesMaker.daily(120), values: clean)
        let b = AnomalyDetector().detect(times: SeriesMaker.daily(120), values: incident)
        #expect((60..<63).allSatisfy { b.anomaly[$0] })
        let widthA = a.upper[119] - a.lower[119]
        let widthB = b.upper[119] - b.lower[119]
        #expect(abs(widthB - widthA) / widthA < 0.05)
        #expect(b.flagged(in: 63..<120).count <= a.flagged(in: 63..<120).count + 1)
    }
}
