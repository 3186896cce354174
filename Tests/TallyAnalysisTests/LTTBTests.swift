import Testing
import TallyAnalysis

@Suite struct LTTBTests {
    @Test func aSingleSpikeSurvives() {
        var g = SeriesMaker(seed: 81)
        let n = 10_000
        let times = SeriesMaker.hourly(n)
        var values = (0..<n).map { _ in 100 + g.gaussian() }
        values[6_543] = 180
        let kept = largestTriangleThreeBuckets(times: times, values: values, threshold: 200)
        #expect(kept.contains(6_543))
        #expect(kept.first == 0 && kept.last == n - 1)
        #expect(kept.count == 200)
        #expect(zip(kept, kept.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func extremesAreKept() {
        var g = SeriesMaker(seed: 82)
        let n = 5_000
        let values = (0..<n).map { i in 50 + 10 * Double(i % 97) / 97 + g.gaussian() }
        let kept = largestTriangleThreeBuckets(times: SeriesMaker.hourly(n), values: values, threshold: 50)
        let minI = values.indices.min { values[$0] < values[$1] }!
        let maxI = values.indices.max { values[$0] < values[$1] }!
        #expect(kept.contains(minI) && kept.contains(maxI))
        #expect(kept.count <= 51)
    }

    @Test func smallInputsAndIrregularTimes() {
        #expect(largestTriangleThreeBuckets(times: [1, 2, 3], values: [1, 2, 3], threshold: 10) == [0, 1, 2])
        #expect(largestTriangleThreeBuckets(times: [1, 2, 3, 4], values: [1, 5, 2, 3], threshold: 2) == [0, 3])
        var times: [Int64] = []
        var t: Int64 = 0
        var g = SeriesMaker(seed: 83)
        for _ in 0..<1_000 { t += 1 + Int64(g.unit() * 100); times.append(t) }
        var values = (0..<1_000).map { _ in g.gaussian() }
        values[500] = .nan
        values[700] = 40
        let kept = largestTriangleThreeBuckets(times: times, values: values, threshold: 100)
        #expect(kept.contains(700) && !kept.contains(500))
    }
}
