import TallyStorage
import TallyEncoding
import Testing
@testable import TallyQuery

@Suite struct ExecutorTests {
    func source(series: Int = 3, points: Int = 10) -> FakeDataSource {
        let src = FakeDataSource()
        for s in 0..<series {
            src.add("m", ["n": "\(s)"], times: (0..<points).map { Int64($0) * HOUR }, values: (0..<points).map(Double.init))
        }
        return src
    }

    @Test func seriesLimit() throws {
        do {
            _ = try run("m{n=~\".*\"} | latest", source(series: 5), limits: QueryLimits(maxSeries: 4))
            Issue.record("no error")
        } catch let e as QueryError {
            #expect(e.kind == .limitExceeded)
            #expect(e.message.contains("matched 5 series, more than the limit of 4"))
            #expect(e.column == 1 && e.span?.end.column == 11)
        }
        #expect(try run("m | latest", source(series: 4), limits: QueryLimits(maxSeries: 4)).series.count == 4)
    }

    /// A regex with nested repetition, which takes a backtracking engine time exponential in the label's length,
    /// answers at once: no match on 40 a's, a match when the b is there. No clock is read: on a backtracking engine
    /// the test would not finish.
    @Test(.timeLimit(.minutes(1))) func nestedRepetitionInASelectorAnswersPromptly() throws {
        let src = FakeDataSource()
        let fortyAs = String(repeating: "a", count: 40)
        src.add("m", ["dataset": fortyAs], times: [0], values: [1])
        #expect(try run("{dataset=~\"(a+)+b\"} | latest", src).series.isEmpty)
        #expect(try run("{dataset!~\"(a+)+b\"} | latest", src).series.map(\.values) == [[1]])
        src.add("m", ["dataset": fortyAs + "b"], times: [0], values: [2])
        #expect(try run("{dataset=~\"(a+)+b\"} | latest", src).series.map(\.values) == [[2]])
    }

    @Test func pointLimit() throws {
        do {
            _ = try run("m | bucket 1d avg", source(series: 3, points: 10), limits: QueryLimits(maxPointsRead: 25))
            Issue.record("no error")
        } catch let e as QueryError {
            #expect(e.kind == .limitExceeded)
            #expect(e.message.contains("more than 25 points"))
        }
        #expect(try run("m", source(series: 3, points: 10), limits: QueryLimits(maxPointsRead: 30)).pointCount == 30)
        // Reading only the tail stays within a small limit.
        #expect(try run("m | latest", source(series: 3, points: 10), limits: QueryLimits(maxPointsRead: 3)).pointCount == 3)
    }

    /// A time a query prints (CSV and JSON write `TimeText.format`) can be pasted back into a query, with a
    /// year outside 0000 to 9999 too, and finds its point.
    @Test func printedTimesReadBackIntoQueries() throws {
        // `Int64.max` itself is past every half-open range.
        let times = TimeParsingTests.expandedYearTexts.map(\.0).filter { $0 < Int64.max }.sorted()
        let src = FakeDataSource()
        src.add("m", times: times, values: times.indices.map(Double.init))
        let result = try run("m", src)
        let printed = result.csv().split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) }
        #expect(printed == times.map(TimeText.format))
        for text in printed { #expect(result.json().contains("\"time\":\"\(text)\"")) }
        for (time, text) in zip(times, printed) {
            #expect(try run("m | between \(text) and \(text) + 1ms", src).series.first?.times == [time], "\(text)")
        }
        // Arithmetic past the last time stops there: `until` it is unbounded.
        #expect(try run("m | since \(printed.last!) - 1ms | until \(printed.last!) + 1y", src).series.first?.times == [times.last!])
    }

    @Test func betweenMustBeOrderedAtRunTime() throws {
        do {
            _ = try run("m | between now and now-1d", source())
            Issue.record("no error")
        } catch let e as QueryError {
            #expect(e.kind == .invalid && e.column == 5)
        }
        do {
            _ = try run("m | diff | between now-1h and 2020-01-01", source())
            Issue.record("no error")
        } catch let e as QueryError {
            #expect(e.column == 12)
        }
    }

    @Test func emptyPushedDownRangeReadsNothing() throws {
        let src = source()
        let r = try run("m | since 2024-05-02 | until 2024-05-01", src)
        #expect(r.series.count == 3 && r.pointCount == 0)
        #expect(src.reads.isEmpty)
    }

    @Test func extensionStagesWithoutAHookFail() throws {
        for (query, column) in [("m | anomalies method=seasonal", 5), ("m | since 7d | forecast 14d", 16), ("m | where anomaly", 5)] {
            do {
                _ = try run(query, source())
                Issue.record("no error for \(query)")
            } catch let e as QueryError {
                #expect(e.kind == .stageUnavailable)
                #expect(e.column == column)
                #expect(e.message.contains("is not available"))
            }
        }
        do {
            _ = try run("m | forecast 14d", source())
        } catch let e as QueryError {
            #expect(e.render(query: "m | forecast 14d") == """
                query error at 1:5: the `forecast` stage is not available: no forecasting module is connected to this query engine
                m | forecast 14d
                    ^
                """)
        }
    }

    @Test func extensionHookGetsStageInputAndContext() throws {
        final class Recorder: QueryStageExtension {
            var calls: [(String, String, Int, Int64, Int64?)] = []
            func evaluate(_ stage: ExternalStage, span: SourceSpan, input: [ResultSeries],
                          context: QueryContext) throws -> [ResultSeries] {
                calls.append((stage.name, stage.options, input.count, context.now, context.from))
                return input.map { s in
                    var out = s
                    out.expected = s.values.map { $0 + 1 }
                    out.lower = s.values.map { $0 - 1 }
                    out.upper = s.values.map { $0 + 3 }
                    out.score = s.values.map { _ in 0.5 }
                    out.anomaly = s.values.map { $0 > 8 }
                    return out
                }
            }
        }
        let recorder = Recorder()
        let now = 12 * HOUR
        let r = try run("m | since 30d | anomalies method=seasonal sensitivity=3 | last 2", source(), now: now,
                        stageExtension: recorder)
        #expect(recorder.calls.count == 1)
        #expect(recorder.calls[0].0 == "anomalies" && recorder.calls[0].1 == "method=seasonal sensitivity=3")
        #expect(recorder.calls[0].2 == 3 && recorder.calls[0].3 == now && recorder.calls[0].4 == now - 30 * DAY)
        #expect(r.series[0].anomaly == [false, true])   // annotations follow their points through `last`
        #expect(r.series[0].expected == [9, 10])

        let closure = ClosureStageExtension { stage, span, input, _ in
            #expect(stage.name == "where anomaly")
            #expect(span.start.column == 5)
            return Array(input.prefix(1))
        }
        #expect(try run("m | where anomaly", source(), stageExtension: closure).series.count == 1)
    }

    @Test func dataSourceErrorsPassThrough() throws {
        struct Broken: Error {}
        final class Failing: QueryDataSource {
            func matchSeries(_ selector: SelectorExpression) throws -> [SeriesRef] { [SeriesRef(id: 1, metric: "m", labels: [:])] }
            func read(_ series: SeriesRef, from: Int64, to: Int64) throws -> SeriesColumns { throw Broken() }
        }
        #expect(throws: Broken.self) {
            try QueryExecutor(dataSource: Failing()).run("m", now: 0)
        }
        // The default readLast goes through read.
        #expect(throws: Broken.self) {
            try QueryExecutor(dataSource: Failing()).run("m | latest", now: 0)
        }
    }

    /// `since` without an end reads up to `now`, including a point at exactly `now`: with `now` in the past, the
    /// points after it are left out (the range of `since 30d` is the 30 days up to now). `until` still rules.
    @Test func sinceEndsAtNow() throws {
        let src = source(series: 1, points: 48)
        let now = 20 * HOUR
        #expect(try run("m | since 6h", src, now: now).series[0].times == (14...20).map { Int64($0) * HOUR })
        #expect(try run("m | since 6h | until now+10h", src, now: now).series[0].times == (14..<30).map { Int64($0) * HOUR })
        #expect(try run("m | between now-2h and now+2h", src, now: now).series[0].times == (18..<22).map { Int64($0) * HOUR })
        // `fill` ends where the reads end: with `now` on a bucket boundary, that bucket is filled too.
        let filled = try run("m | since 3h | bucket 1h count fill zero", source(series: 1, points: 0), now: now)
        #expect(filled.series.first?.times == (17...20).map { Int64($0) * HOUR })
        // Without a range there is no implicit end.
        #expect(try run("m | last 2", src, now: now).series[0].times == [46 * HOUR, 47 * HOUR])
    }

    @Test func nowIsFixedForTheWholeQuery() throws {
        let src = source(series: 1, points: 48)
        let now = 48 * HOUR
        let r = try run("m | since 12h | diff | since now-6h", src, now: now)
        #expect(r.series[0].times == (42..<48).map { Int64($0) * HOUR })
    }
}

@Suite struct QueryTimeLimitTests {
    /// A data source whose reads take a while.
    struct SlowSource: QueryDataSource {
        func matchSeries(_ selector: SelectorExpression) throws -> [SeriesRef] {
            (0..<5).map { SeriesRef(id: UInt64($0), metric: "m", labels: ["k": "\($0)"]) }
        }
        func read(_ series: SeriesRef, from: Int64, to: Int64) throws -> SeriesColumns {
            var until = ContinuousClock.now + .milliseconds(30)
            while ContinuousClock.now < until { until = until + .zero }
            return SeriesColumns(times: [1], values: [1])
        }
    }

    @Test func aQueryOverItsTimeLimitStopsWithAClearError() throws {
        var limits = QueryLimits()
        limits.maxDuration = .milliseconds(50)
        let executor = QueryExecutor(dataSource: SlowSource(), limits: limits)
        let error = #expect(throws: QueryError.self) { _ = try executor.run("m", now: 0) }
        #expect(error?.kind == .limitExceeded)
        #expect(error?.message.contains("ran longer than") == true)
        // Within the limit the same query answers.
        limits.maxDuration = .seconds(30)
        #expect(try QueryExecutor(dataSource: SlowSource(), limits: limits).run("m", now: 0).series.count == 5)
    }
}
