import TallyStorage
import TallyEncoding
@testable import TallyQuery

/// The null marker, spelt out here rather than taken from the module.
let NULL = Double(bitPattern: 0x7FFC_0000_0000_7A11)

func isNullBits(_ v: Double) -> Bool { v.bitPattern == 0x7FFC_0000_0000_7A11 }

/// Epoch milliseconds of a UTC civil time, by counting days year by year and month by month (deliberately a
/// different method from the module's 400-year-cycle arithmetic).
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0,
         _ ms: Int = 0) -> Int64 {
    func leap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    let monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    var days = 0
    if year >= 1970 {
        for y in 1970..<year { days += leap(y) ? 366 : 365 }
    } else {
        for y in year..<1970 { days -= leap(y) ? 366 : 365 }
    }
    for m in 1..<month { days += monthDays[m - 1] + (m == 2 && leap(year) ? 1 : 0) }
    days += day - 1
    return Int64(days) * 86_400_000 + Int64(hour) * 3_600_000 + Int64(minute) * 60_000 + Int64(second) * 1000 + Int64(ms)
}

let HOUR: Int64 = 3_600_000
let DAY: Int64 = 86_400_000

/// An in-memory data source that records how it was called.
final class FakeDataSource: QueryDataSource {
    var series: [(ref: SeriesRef, columns: SeriesColumns)] = []
    var reads: [(id: UInt64, from: Int64, to: Int64)] = []
    var lastReads: [(id: UInt64, count: Int, from: Int64, to: Int64)] = []
    var bucketCalls = 0
    /// When set, answers `bucketAggregates` with this closure.
    var bucketAnswer: ((SeriesRef, Int64, Int64, Bucketing, Aggregate) -> SeriesColumns?)?

    init() {}

    @discardableResult
    func add(_ metric: String, _ labels: Labels = [:], kind: SeriesKind = .measurement,
             times: [Int64], values: [Double], outcomes: [UInt8]? = nil) -> SeriesRef {
        let ref = SeriesRef(id: UInt64(series.count + 1), metric: metric, labels: labels, kind: kind)
        series.append((ref, SeriesColumns(times: times, values: values, outcomes: outcomes)))
        return ref
    }

    func matchSeries(_ selector: SelectorExpression) throws -> [SeriesRef] {
        // Return in reverse insertion order, so tests see the executor sort them.
        series.reversed().filter { selector.matches(metric: $0.ref.metric, labels: $0.ref.labels) }.map(\.ref)
    }

    private func columns(_ ref: SeriesRef) -> SeriesColumns {
        series.first { $0.ref.id == ref.id }!.columns
    }

    func read(_ ref: SeriesRef, from: Int64, to: Int64) throws -> SeriesColumns {
        reads.append((ref.id, from, to))
        let c = columns(ref)
        let idx = c.times.indices.filter { c.times[$0] >= from && c.times[$0] < to }
        return SeriesColumns(times: idx.map { c.times[$0] }, values: idx.map { c.values[$0] },
                             outcomes: c.outcomes.map { o in idx.map { o[$0] } })
    }

    func readLast(_ ref: SeriesRef, count: Int, from: Int64, to: Int64) throws -> SeriesColumns {
        lastReads.append((ref.id, count, from, to))
        let c = columns(ref)
        let idx = Array(c.times.indices.filter { c.times[$0] >= from && c.times[$0] < to }.suffix(count))
        return SeriesColumns(times: idx.map { c.times[$0] }, values: idx.map { c.values[$0] },
                             outcomes: c.outcomes.map { o in idx.map { o[$0] } })
    }

    func bucketAggregates(_ ref: SeriesRef, from: Int64, to: Int64, bucketing: Bucketing,
                          aggregate: Aggregate) throws -> SeriesColumns? {
        bucketCalls += 1
        return bucketAnswer?(ref, from, to, bucketing, aggregate)
    }
}

/// Runs a query over a data source.
func run(_ query: String, _ source: FakeDataSource, now: Int64 = utc(2024, 6, 1),
         limits: QueryLimits = QueryLimits(), stageExtension: (any QueryStageExtension)? = nil) throws -> QueryResult {
    try QueryExecutor(dataSource: source, limits: limits, stageExtension: stageExtension).run(query, now: now)
}

/// The parse error of a query that must not parse.
func parseError(_ query: String) -> QueryError? {
    do {
        _ = try Parser.parse(query)
        return nil
    } catch {
        return error
    }
}

/// The only stage of `selector | <stage>`.
func stageOf(_ stage: String) throws -> StageKind {
    let q = try Parser.parse("m | " + stage)
    return q.stages[0].kind
}

extension ResultSeries {
    /// Values with nil for null.
    var optionalValues: [Double?] { (0..<count).map { value(at: $0) } }
}
