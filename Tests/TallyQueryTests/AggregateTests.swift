import TallyStorage
import TallyEncoding
import Testing
@testable import TallyQuery

@Suite struct AggregateTests {
    let values: [Double] = [4, NULL, 1, 3, 2]

    @Test func skipNulls() {
        #expect(Aggregate.sum.apply(values) == 10)
        #expect(Aggregate.avg.apply(values) == 2.5)
        #expect(Aggregate.min.apply(values) == 1)
        #expect(Aggregate.max.apply(values) == 4)
        #expect(Aggregate.count.apply(values) == 4)
        #expect(Aggregate.first.apply([NULL, 7, 8]) == 7)
        #expect(Aggregate.last.apply([7, 8, NULL]) == 8)
    }

    @Test func allNull() {
        for a in [Aggregate.sum, .avg, .min, .max, .first, .last, .stddev, .percentile(50)] {
            #expect(a.apply([NULL, NULL]) == nil)
        }
        #expect(Aggregate.count.apply([NULL, NULL]) == 0)
        #expect(Aggregate.count.apply([Double]()) == 0)
    }

    @Test func percentilesInterpolate() {
        // Sorted 1, 2, 3, 4: rank (n-1)p.
        #expect(Aggregate.percentile(50).apply(values) == 2.5)
        #expect(Aggregate.percentile(90).apply(values) == 3 + 0.7)   // rank 2.7
        #expect(Aggregate.percentile(0).apply(values) == 1)
        #expect(Aggregate.percentile(100).apply(values) == 4)
        #expect(Aggregate(name: "median") == .percentile(50))
        #expect(Aggregate(name: "p99") == .percentile(99))
        #expect(Aggregate(name: "p") == nil)
        #expect(Aggregate(name: "pxx") == nil)
        #expect(Aggregate(name: "p1e2") == nil)
        #expect(Aggregate(name: "p100.5") == nil)
        #expect(Aggregate(name: "p99.9") == .percentile(99.9))
        #expect(Aggregate.percentile(99.9).description == "p99.9")
    }

    @Test func stddevIsPopulation() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum 32, / 8 = 4.
        #expect(Aggregate.stddev.apply([2, 4, NULL, 4, 4, 5, 5, 7, 9]) == 2)
        #expect(Aggregate.stddev.apply([3]) == 0)
    }

    @Test func ordinaryNaNIsAValue() {
        #expect(Aggregate.count.apply([.nan, 1]) == 2)
        #expect(Aggregate.sum.apply([.nan, 1])?.isNaN == true)
        #expect(Aggregate.max.apply([1, .nan])?.isNaN == true)
        #expect(Aggregate.min.apply([.nan, 1])?.isNaN == true)
        #expect(Aggregate.percentile(50).apply([.nan, 1])?.isNaN == true)
    }

    // MARK: near the ends of the range of doubles

    @Test func avgAndSumOfHugeValuesDoNotOverflowOnTheWay() {
        let big = Double.greatestFiniteMagnitude
        // The running sum passes +∞ although the mean (and here the total) is a double.
        #expect(Aggregate.avg.apply([big, big]) == big)
        #expect(Aggregate.avg.apply([big, NULL, big / 2, big, big / 2]) == big * 0.75)
        #expect(Aggregate.sum.apply([big, big, -big]) == big)
        #expect(Aggregate.avg.apply([-big, -big]) == -big)
        // A total that really does not fit is still ±∞, and infinite values keep their meaning.
        #expect(Aggregate.sum.apply([big, big]) == .infinity)
        #expect(Aggregate.avg.apply([.infinity, big, big]) == .infinity)
        #expect(Aggregate.avg.apply([.infinity, -.infinity])?.isNaN == true)
        // An infinity after an overflow: the exact sum's, in any order (the plain running sum gave ∞ + −∞ = NaN).
        #expect(Aggregate.sum.apply([big, big, -.infinity]) == -.infinity)
        #expect(Aggregate.sum.apply([-.infinity, big, big]) == -.infinity)
        #expect(Aggregate.avg.apply([big, big, -.infinity]) == -.infinity)
        // Ordinary values give the same bits as a plain left-to-right sum.
        let ordinary: [Double] = [0.1, 0.2, 0.3, 1e-3, 7]
        #expect(Aggregate.avg.apply(ordinary) == ordinary.reduce(0, +) / 5)
    }

    @Test func stddevOfHugeAndTinyValues() {
        let big = Double.greatestFiniteMagnitude
        // Differences and squares of these overflow; scaled by a power of two, they do not.
        #expect(Aggregate.stddev.apply([big, -big]) == big)
        #expect(Aggregate.stddev.apply([big, big]) == 0)
        let huge = 0x1p1000
        #expect(Aggregate.stddev.apply([2 * huge, 4 * huge, 4 * huge, 4 * huge, 5 * huge, 5 * huge, 7 * huge, 9 * huge]) == 2 * huge)
        // Squares of these vanish below the smallest double.
        let tiny = 0x1p-1000
        #expect(Aggregate.stddev.apply([2 * tiny, 4 * tiny, 4 * tiny, 4 * tiny, 5 * tiny, 5 * tiny, 7 * tiny, 9 * tiny]) == 2 * tiny)
        // Subnormal values: a scale of 2^-exponent would be ∞ (0 × ∞ gave NaN).
        #expect(Aggregate.stddev.apply([0x1p-1030, 0x1p-1030]) == 0)
        #expect(Aggregate.stddev.apply([.leastNonzeroMagnitude, 3 * .leastNonzeroMagnitude]) == .leastNonzeroMagnitude)
        #expect(Aggregate.stddev.apply([1, .infinity])?.isNaN == true)
        #expect(Aggregate.stddev.apply([1, .nan])?.isNaN == true)
    }
}
