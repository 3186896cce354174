import Testing
import TallyAnalysis

/// Counts and durations never go below zero: neither should their expected range.
@Suite struct NonNegativeTests {
    @Test func mostlyZeroCountsGetNoNegativeRange() {
        var g = SeriesMaker(seed: 11)
        // A missing-values count: usually 0–3, now and then a burst.
        let values = (0..<120).map { i -> Double in i % 17 == 0 ? 12 : Double(Int(g.unit() * 4)) }
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(values.count), values: values)
        let judged = r.lower.indices.filter { !r.lower[$0].isNaN }
        #expect(!judged.isEmpty)
        #expect(judged.allSatisfy { r.lower[$0] >= 0 && r.expected[$0] >= 0 })
        // And a negative value in such a series is out of range.
        var withNegative = values
        withNegative.append(-1)
        let r2 = AnomalyDetector().detect(times: SeriesMaker.daily(withNegative.count), values: withNegative)
        #expect(r2.anomaly.last == true)
    }

    @Test func seriesThatGoNegativeKeepTheirFullRange() {
        var g = SeriesMaker(seed: 12)
        let values = (0..<120).map { _ in g.gaussian() * 2 }   // centred on 0, both signs
        let r = AnomalyDetector().detect(times: SeriesMaker.daily(values.count), values: values)
        #expect(r.lower.contains { $0 < 0 })
    }
}
