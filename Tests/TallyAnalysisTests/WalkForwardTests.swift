import Testing
import TallyAnalysis

/// Causality: every verdict uses only the points before it.
@Suite struct WalkForwardTests {
    /// A weekly series with a spike, a dip and a level shift.
    static func eventful() -> (times: [Int64], values: [Double]) {
        var g = SeriesMaker(seed: 21)
        let times = SeriesMaker.daily(200)
        var values = times.indices.map { i in
            g.noisy((i % 7 >= 5 ? 3_000 : 8_000) * (i >= 150 ? 1.4 : 1), relative: 0.04).rounded()
        }
        values[90] *= 3
        values[120] = 0
        return (times, values)
    }

    @Test func resultsForAPrefixAreTheResultsOfTheWholeSeries() {
        let s = Self.eventful()
        let detector = AnomalyDetector()
        let full = detector.detect(times: s.times, values: s.values)
        for n in [15, 37, 91, 121, 155, 199] {
            let part = detector.detect(times: Array(s.times[0..<n]), values: Array(s.values[0..<n]))
            for i in 0..<n {
                #expect(part.anomaly[i] == full.anomaly[i])
                #expect(part.reasons[i] == full.reasons[i])
                #expect(part.expected[i].isNaN ? full.expected[i].isNaN : part.expected[i] == full.expected[i])
                #expect(part.upper[i].isNaN ? full.upper[i].isNaN : part.upper[i] == full.upper[i])
            }
        }
    }

    @Test func checkLatestIsTheLastPointOfTheWalk() {
        let s = Self.eventful()
        let detector = AnomalyDetector()
        let full = detector.detect(times: s.times, values: s.values)
        for n in [10, 30, 91, 121, 151, 200] {
            let check = detector.checkLatest(times: Array(s.times[0..<n]), values: Array(s.values[0..<n]))!
            #expect(check.anomaly == full.anomaly[n - 1])
            #expect(check.reasonCode == full.reasons[n - 1])
            #expect(check.reason == full.reason(at: n - 1))
            #expect(check.expected.isNaN ? full.expected[n - 1].isNaN : check.expected == full.expected[n - 1])
        }
        #expect(full.anomaly[90] && full.anomaly[120])
    }

    @Test func theJudgedPointIsNeverInItsOwnBaseline() {
        // Elementary's z-score includes the judged point, so with 14 points |z| can never exceed 3.47.
        // Here the last point is 100 standard deviations out and must read as such.
        var g = SeriesMaker(seed: 22)
        var values = (0..<14).map { _ in 100 + g.gaussian() }
        values.append(200)
        let r = AnomalyDetector(options: AnomalyOptions(method: .level)).detect(
            times: SeriesMaker.daily(15), values: values)
        #expect(r.anomaly[14])
        #expect(r.deviation[14] > 20)
        #expect(r.expected[14] < 102 && r.upper[14] < 120)
    }

    @Test func emptyAndTinySeries() {
        let detector = AnomalyDetector()
        #expect(detector.detect(times: [], values: []).count == 0)
        #expect(detector.checkLatest(times: [], values: []) == nil)
        let one = detector.detect(times: [0], values: [5])
        #expect(one.reasons == [.coldStart] && one.anomaly == [false])
    }
}
