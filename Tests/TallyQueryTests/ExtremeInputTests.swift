import Foundation
import TallyEncoding
import TallyStorage
import Testing
@testable import TallyQuery

/// Queries at the limits of their arguments and of the range of times: an answer or a clear error, never a trap,
/// a hang or a wrong answer.
@Suite struct ExtremeInputTests {
    /// The latest time a point can have (`Int64.max` is the end of every range).
    let latest = Int64.max - 1
    /// The start of the UTC day holding `latest`, counted here without the module's floor division.
    var latestDay: Int64 { latest - latest % DAY }

    func source(_ times: [Int64], _ values: [Double]? = nil) -> FakeDataSource {
        let src = FakeDataSource()
        src.add("m", times: times, values: values ?? times.map { _ in 1 })
        return src
    }

    // MARK: bucket and fill at the ends of time

    @Test func bucketsAtTheEndsOfTheRangeOfTimes() throws {
        // The last bucket of time ends past Int64.max, and the first starts before Int64.min: both used to trap.
        let end = source([latest - 3 * DAY, latest])
        for aggregate in ["count", "p50"] {   // the executor's two paths: decomposable or not
            let days = try run("m | bucket 1d \(aggregate)", end).series[0]
            #expect(days.times == [latestDay - 3 * DAY, latestDay])
            #expect(days.values == [1, 1])
        }
        #expect(try run("m | bucket 1ms count", end).series[0].times == [latest - 3 * DAY, latest])
        let year = TimeText.parse("+292278994-01-01T00:00:00Z")!
        #expect(try run("m | bucket 1y count", end).series[0].times == [year])
        #expect(try run("m | bucket 1y count", end).series[0].values == [2])
        // Monday 1970-01-05 is day 4; the week of `latest` starts on the Monday at or before its day.
        let day = latest / DAY
        #expect(try run("m | bucket 1w sum", end).series[0].times == [(day - (day - 4) % 7) * DAY])

        let start = source([.min, .min + 1])
        for width in ["1ms", "1d", "1w", "1mo", "1y", "10000y"] {
            let r = try run("m | bucket \(width) count", start).series[0]
            #expect(r.times.first == .min, "\(width): the first bucket of time starts at the earliest time")
            #expect(r.values.reduce(0, +) == 2, "\(width)")
        }
        // Filling between the first and the last bucket of data reaches the last bucket of time.
        let filled = try run("m | bucket 1d count fill zero", end).series[0]
        #expect(filled.times == (0...3).map { latestDay - Int64(3 - $0) * DAY })
        #expect(filled.values == [1, 0, 0, 1])
    }

    @Test func theFirstBucketOfTimeEndsWhereTheSecondStarts() throws {
        // The first bucket's start is cut to Int64.min; the next bucket must still start on its own boundary.
        let secondDay = (CivilCalendar.day(ofMillis: .min) + 1) * DAY
        let days = try run("m | bucket 1d count", source([.min, secondDay])).series[0]
        #expect(days.times == [.min, secondDay])
        #expect(days.values == [1, 1])
        // 10,000-year buckets start in years 1970 + k × 10,000: -292268030 is the second one of time.
        let second = TimeText.parse("-292268030-01-01T00:00:00Z")!
        let millennia = try run("m | bucket 10000y count", source([.min, second - 1, second])).series[0]
        #expect(millennia.times == [.min, second])
        #expect(millennia.values == [2, 1])
    }

    @Test func fillRunsToTheLastBucketOfTime() throws {
        let src = source([latest])
        let r = try run("m | since +292278994-08-10 | bucket 1d count fill zero", src, now: .max).series[0]
        #expect(r.times == (0..<8).map { TimeText.parse("+292278994-08-10T00:00:00Z")! + Int64($0) * DAY })
        #expect(r.values == [0, 0, 0, 0, 0, 0, 0, 1])
        let years = try run("m | since +292278990-01-01 | bucket 1y count fill zero", src, now: .max).series[0]
        #expect(years.values == [0, 0, 0, 0, 1])
    }

    @Test func fillOverAnEmptyRangeMakesNoBuckets() throws {
        let src = source([utc(2024, 5, 1, 8)])
        // `since` after `until`: the range is empty, so there is no bucket of it to fill (one bucket came back).
        #expect(try run("m | since 2024-05-01T12:00 | until 2024-05-01T06:00 | bucket 1d count fill zero", src)
            .pointCount == 0)
        // `since` after `now`, without `until`.
        #expect(try run("m | since 2024-06-01T12:00 | bucket 1d count fill zero", src, now: utc(2024, 6, 1)).pointCount == 0)
        // `until` the earliest time: its end minus a millisecond wrapped to the latest time and tripped the limit.
        #expect(try run("m | since 2024-01-01 | until -292275055-05-16T16:47:04.192Z | bucket 1d count fill zero", src)
            .pointCount == 0)
    }

    // MARK: change same day last week

    @Test func sameDayLastWeekBeforeTheEarliestTime() throws {
        // The day a week before the first days of time is before the earliest time: no value, and a date for it.
        let src = source([.min + DAY])
        for query in ["m | change same day last week", "m | where value > 0 | change same day last week percent"] {
            let r = try run(query, src).series[0]
            #expect(r.times == [.min + DAY] && r.value(at: 0) == nil, "\(query)")
            #expect(r.reason(at: 0) == "no non-null value on -292275055-05-10, the same UTC day last week", "\(query)")
        }
    }

    @Test func sameDayLastWeekNamesAnExpandedYearWhole() throws {
        let src = source([TimeText.parse("+10000-01-08T06:00:00Z")!])
        let r = try run("m | change same day last week", src).series[0]
        #expect(r.reason(at: 0) == "no non-null value on +10000-01-01, the same UTC day last week")
        let bc = try run("m | change same day last week", source([TimeText.parse("-0044-03-15T12:00:00Z")!])).series[0]
        #expect(bc.reason(at: 0) == "no non-null value on -0044-03-08, the same UTC day last week")
    }

    // MARK: numbers

    @Test func numbersPastTheLargestDoubleAreErrors() {
        // They were read as infinities: `where value > 1e309` silently kept nothing, `< 1e309` everything finite.
        for (query, column) in [("m | where value > 1e309", 19), ("m | where value < -1e400", 20),
                                ("m | anomalies sensitivity=1e999", 27)] {
            let e = parseError(query)
            #expect(e?.message.contains("is too large: numbers are at most about 1.8e308 in magnitude") == true, "\(query)")
            #expect(e?.column == column, "\(query)")
        }
        #expect(parseError("m | where value > 1.7e308") == nil)
        #expect(parseError("m | where value > 1e-400") == nil)   // rounds to 0, as every double literal does
    }

    // MARK: rolling

    /// Every aggregate of a wide rolling window equals the aggregate computed directly over that window. (Windows
    /// used to be aggregated one by one, 40,000 sorts of 10,000 values for this median; speed is not asserted here:
    /// timings belong in benchmarks, not unit tests.)
    @Test func rollingOverAWideWindowEqualsTheDirectAggregate() throws {
        let n = 50_000, window = 10_000
        let values = (0..<n).map { Double(($0 * 7_919) % 10_007) }
        let src = source((0..<n).map { Int64($0) * 1000 }, values)
        for aggregate in ["median", "p99", "max", "min", "stddev", "first", "last"] {
            let r = try run("m | rolling \(window) \(aggregate)", src).series[0]
            let a = Aggregate(name: aggregate)!
            for i in stride(from: window - 1, to: n, by: 4_999) {
                let direct = a.apply(values[(i + 1 - window)...i])!
                #expect(abs(r.value(at: i)! - direct) <= abs(direct) * 1e-12, "\(aggregate) at \(i)")
            }
        }
    }

    @Test func rollingSumsSurviveAHugeValueLeavingTheWindow() throws {
        // A running total that subtracted what left the window lost the small values next to 1e20 (3 came out 1).
        let src = source((0..<5).map { Int64($0) * HOUR }, [1, 1e20, 1, 1, 1])
        #expect(try run("m | rolling 3 sum", src).series[0].optionalValues == [nil, nil, 1e20 + 2, 1e20 + 2, 3])
        #expect(try run("m | rolling 3 avg", src).series[0].value(at: 4) == 1)
        #expect(try run("m | rolling 3 stddev", src).series[0].value(at: 4) == 0)
        // An infinity leaving the window left NaN behind (∞ - ∞) until the total was recomputed.
        let infinite = source((0..<5).map { Int64($0) * HOUR }, [1, .infinity, 1, 1, 1])
        #expect(try run("m | rolling 3 sum", infinite).series[0].optionalValues == [nil, nil, .infinity, .infinity, 3])
        #expect(try run("m | rolling 3 avg", infinite).series[0].value(at: 4) == 1)
    }

    @Test func rollingAveragesAndSpreadsOfHugeValues() throws {
        // The window's sum passed +∞ (avg ∞) and its squared deviations overflowed (stddev ∞).
        let big = Double.greatestFiniteMagnitude
        let src = source((0..<4).map { Int64($0) * HOUR }, [big, big, -big, 1])
        let avg = try run("m | rolling 2 avg", src).series[0]
        #expect(avg.optionalValues == [nil, big, 0, -big / 2])
        let sum = try run("m | rolling 3 sum", src).series[0]
        #expect(sum.value(at: 2) == big)
        let stddev = try run("m | rolling 2 stddev", src).series[0]
        #expect(stddev.optionalValues == [nil, 0, big, big / 2])
        let tiny = 0x1p-1000
        let small = source((0..<3).map { Int64($0) * HOUR }, [tiny, 3 * tiny, 5 * tiny])
        #expect(try run("m | rolling 2 stddev", small).series[0].optionalValues == [nil, tiny, tiny])
        // Each window is scaled by its own largest value: one huge value elsewhere in the series does not flush an
        // ordinary window's spread to 0, nor a tiny one elsewhere an ordinary window's to ∞.
        let mixedValues: [Double] = [1e300, 1e300, 1, 2, 3, 1e-300, 3e-300]
        let mixed = source((0..<7).map { Int64($0) * HOUR }, mixedValues)
        let spreads = try run("m | rolling 2 stddev", mixed).series[0].optionalValues
        let expected: [Double?] = [nil, 0, 5e299, 0.5, 0.5, 1.5]
        #expect(Array(spreads.prefix(6)) == expected, "\(spreads)")
        #expect(abs((spreads[6] ?? 0) - 1e-300) <= 1e-315, "\(spreads)")
        for i in 1..<7 {
            let direct = Aggregate.stddev.apply(mixedValues[(i - 1)...i])
            #expect(spreads[i] == direct, "window ending at \(i)")
        }
    }

    @Test func rollingAgreesWithTheAggregateOverEachWindow() throws {
        var seed: UInt64 = 7
        func next() -> UInt64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return seed >> 33
        }
        let values: [Double] = (0..<400).map { _ in
            switch next() % 20 {
            case 0: return NULL
            case 1: return .nan
            case 2: return .infinity
            default: return Double(next() % 1000) / 8 - 40
            }
        }
        let finite = values.map { $0.isNaN || $0.isInfinite ? 3.5 : $0 }   // keeps the nulls
        let src = FakeDataSource()
        src.add("m", times: values.indices.map { Int64($0) }, values: values)
        src.add("f", times: values.indices.map { Int64($0) }, values: finite)
        for metric in ["m", "f"] {
            let column = metric == "m" ? values : finite
            for window in [1, 2, 3, 7, 50, 400] {
                for name in ["sum", "avg", "count", "min", "max", "first", "last", "stddev", "median", "p0", "p90", "p100"] {
                    let r = try run("\(metric) | rolling \(window) \(name)", src).series[0]
                    let aggregate = Aggregate(name: name)!
                    for i in (window - 1)..<column.count {
                        let direct = aggregate.apply(column[(i + 1 - window)...i])
                        let got = r.value(at: i)
                        let same: Bool
                        switch (got, direct) {
                        case (nil, nil): same = true
                        case let (g?, d?) where g.isNaN || d.isNaN: same = g.isNaN && d.isNaN
                        case let (g?, d?) where g.isInfinite || d.isInfinite: same = g == d
                        case let (g?, d?): same = abs(g - d) <= 1e-9 * Swift.max(1, abs(d))
                        default: same = false
                        }
                        #expect(same, "\(metric) | rolling \(window) \(name) at \(i): \(String(describing: got)) vs \(String(describing: direct))")
                    }
                }
            }
        }
    }

    // MARK: percentiles

    @Test func percentilesOfInfinitiesAndOfTheLargestDoubles() throws {
        let median = Aggregate.percentile(50)
        #expect(median.apply([.infinity, .infinity]) == .infinity)            // was NaN: ∞ + (∞ - ∞) × 0.5
        #expect(median.apply([-.infinity, -.infinity]) == -.infinity)
        #expect(median.apply([1, .infinity]) == .infinity)
        #expect(median.apply([-.infinity, 1]) == -.infinity)
        #expect(median.apply([-.infinity, .infinity])!.isNaN)
        #expect(median.apply([-1.7e308, 1.7e308]) == 0)                         // was ∞: the difference overflowed
        #expect(abs(Aggregate.percentile(75).apply([-1.7e308, 1.7e308])! - 0.85e308) < 1e295)
        #expect(median.apply([1, 2]) == 1.5 && Aggregate.percentile(90).apply([0, 10]) == 9)
        let src = source([utc(2024, 5, 1, 1), utc(2024, 5, 1, 2)], [.infinity, .infinity])
        #expect(try run("m | bucket 1d median", src).series[0].values == [.infinity])
        #expect(try run("m | rolling 2 p50", src).series[0].value(at: 1) == .infinity)
    }

    // MARK: queries built in code

    @Test func stagesBuiltInCodeAreCheckedAsTheParserChecksThem() throws {
        // `Query`, `Stage` and `StageKind` are public; these arguments trapped the executor (a negative count,
        // a division by a zero window, a force-unwrapped bucketing or baseline, a percentile past 100).
        let span = SourceSpan(start: SourcePosition(offset: 4, line: 1, column: 5),
                              end: SourcePosition(offset: 9, line: 1, column: 10))
        let bad: [(StageKind, String)] = [
            (.last(-1), "the number of points of `last` must be a whole number from 1 to 1000000000, not -1"),
            (.top(0, by: .max), "the number of series of `top` and `bottom`"),
            (.bottom(-3, by: .max), "the number of series of `top` and `bottom`"),
            (.rolling(window: 0, aggregate: .avg), "the window of `rolling`"),
            (.downsample(1), "the number of points of `downsample` must be a whole number from 2"),
            (.change(ChangeStage(baseline: .average(0))), "the number of earlier points of `change`"),
            (.bucket(BucketStage(width: QueryDuration(), aggregate: .avg)), "a bucket width must be greater than zero"),
            (.bucket(BucketStage(width: QueryDuration(months: 1, milliseconds: 1), aggregate: .avg)), "a bucket width"),
            (.agg(.percentile(150), by: nil), "a percentile must be from 0 to 100, not 150.0"),
            (.rolling(window: 2, aggregate: .percentile(.nan)), "a percentile must be from 0 to 100"),
        ]
        let src = source([1, 2, 3])
        for (kind, message) in bad {
            let query = Query(selector: SelectorExpression(metric: "m"), selectorSpan: span, stages: [Stage(kind, span: span)],
                              source: "m | …")
            do {
                _ = try QueryExecutor(dataSource: src).run(query, now: 0)
                Issue.record("no error for \(kind)")
            } catch let e as QueryError {
                #expect(e.kind == .invalid && e.message.contains(message) && e.span == span, "\(e.message)")
            }
        }
        #expect(Aggregate.percentile(150).apply([1, 2])!.isNaN)   // used directly: no rank past the values
    }
}
