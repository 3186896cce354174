import ArgumentParser
import Tally

extension TallyBench {
    /// The peer kit's workload (/work/shared/bench/README.md, "What `tally-bench peer` must do and print").
    struct Peer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load the peer dataset through the library API, then time queries (a), (b), (c).",
            discussion: """
                Reads DIR/params.json and the raw files series.i32, ts.i64, value.f64 (untimed). Load = from the \
                in-memory arrays to a durable, closed store (Store.open, importBulk, close). Then, for each query: \
                drop the page cache (root only), reopen the store, one cold run, then the warm runs. Series id N \
                is metric `peer` with label series="N". The answers are checked against params.json.
                """
        )

        @Option(help: "The dataset directory written by gen_data.py.") var data: String
        @Option(help: "The store directory to create (must not hold a store unless --replace).") var store: String
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json
        @Option(help: "Points per importBulk batch, cut at the next series boundary (0: one batch).")
        var batchPoints: Int = 0
        @Option(help: "Warm runs per query.") var reps: Int = 10
        @Option(help: "How the queries open the store: read-only or writer.") var openMode: OpenMode = .readOnly
        @Flag(help: "Delete an existing store at --store first.") var replace = false

        func validate() throws {
            guard batchPoints >= 0 else { throw ValidationError("--batch-points must be 0 or more") }
            guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        private func measure() throws {
            if replace { try removeTree(store) }
            if Store.exists(at: store) {
                throw BenchFailure("\(store) already holds a store; pass --replace or choose a new path")
            }
            printError("reading \(data) ...")
            let dataset = try PeerDataset.load(from: data)
            let params = dataset.params
            let n = dataset.times.count
            let keys = (0..<max(params.series, Int(dataset.seriesIDs.max() ?? 0) + 1)).map(peerKey)

            printError("loading \(n) points of \(params.series) series into \(store) ...")
            let load = try loadStore(dataset, keys: keys, at: store, batchPoints: batchPoints)
            let bytes = directoryBytes(store)
            printError("load \(fixed(load.seconds, 3)) s in \(load.batches) batch(es), \(bytes) bytes = " +
                       "\(fixed(Double(bytes) / Double(n), 3)) B/point")

            var checks = AnswerChecks()
            var session = QuerySession(path: store, mode: openMode)

            // (a): the inclusive range t_lo <= ts <= t_hi is the half-open [t_lo, t_hi + 1).
            let aKey = keys[params.qa.series]
            let aRange = TimeRange(from: params.qa.tLo, to: params.qa.tHi + 1)
            let a = try session.measure(reps: reps, query: { store in try rangeQuery(store, aKey, aRange) })
            checks.rows("a_range_100k", a.result.times.count, params.expected.aRows)
            checks.sum("a_range_100k", nonNullSum(a.result.values),
                       params.expected.aValueSum)

            // (b): per-UTC-day average over [t_lo, t_hi).
            let bKey = keys[params.qb.series]
            let bRange = TimeRange(from: params.qb.tLo, to: params.qb.tHi)
            let b = try session.measure(reps: reps, query: { store in try dailyAverageQuery(store, bKey, bRange) })
            checks.rows("b_daily_avg_year", b.result.days.count, params.expected.bRows)
            checks.sum("b_daily_avg_year", compensatedSum(b.result.averages), params.expected.bAvgSum)

            // (d): the per-week average of a 200k-point series over its whole span. Most blocks lie inside one
            // week, so block statistics answer them without decoding; the answer is checked against a full decode.
            let dKey = keys[0]
            let d = try session.measure(reps: reps, query: { store in try weeklyAverageQuery(store, dKey) })
            let dReference = try weeklyAverageReference(try session.reopenedStore(), dKey)
            checks.rows("d_weekly_avg_200k", d.result.starts.count, dReference.starts.count)
            checks.sum("d_weekly_avg_200k", compensatedSum(d.result.averages), compensatedSum(dReference.averages))
            if d.result.starts != dReference.starts { checks.failures.append("d_weekly_avg_200k: week starts differ") }

            // (c): the latest point of every series, from ids resolved once after the open (as the peers' series
            // ids are known up front) ...
            var ids: [SeriesID] = []
            let c = try session.measure(reps: reps, prepare: { store in
                ids = try resolveIDs(store, keys: Array(keys[0..<params.series]))
            }, query: { store in latestQuery(store, ids: ids) })
            checkLatest("c_last_10k_latest", c.result, params, &checks)

            // ... and with the selection included: series(matching:) for metric `peer`, then latest.
            let cs = try session.measure(reps: reps, query: { store in try selectLatestQuery(store) })
            checkLatest("c_last_10k_select_latest", cs.result, params, &checks)

            guard let stats = session.current?.stats() else { throw BenchFailure("the store is not open") }
            if stats.points != n { checks.failures.append("the store holds \(stats.points) points; the dataset has \(n)") }
            try session.finish()

            let result = JSONValue.object([
                ("engine", .string("tally")), ("version", .string(tallyBenchVersion)), ("order", .string("sorted")),
                ("load_s", .double(load.seconds)), ("load_rows_per_s", .double(Double(n) / load.seconds)),
                ("load_cpu_s", .double(load.cpuSeconds)),
                ("bytes", .int(bytes)), ("bytes_per_point", .double(Double(bytes) / Double(n))),
                ("cold_caches_dropped", .bool(session.cacheDropped)), ("open_ms", .double(session.openMillis[0])),
                ("a_range_100k", a.json(rows: a.result.times.count, valueSum: nonNullSum(a.result.values))),
                ("b_daily_avg_year", b.json(rows: b.result.days.count, valueSum: compensatedSum(b.result.averages))),
                ("d_weekly_avg_200k", d.json(rows: d.result.starts.count, valueSum: compensatedSum(d.result.averages),
                                              extra: [("points", .int(dReference.points)),
                                                      ("blocks_from_statistics", .int(d.result.usage.blocksFromStatistics)),
                                                      ("blocks_decoded", .int(d.result.usage.blocksDecoded))])),
                ("c_last_10k_latest", c.json(rows: c.result.values.count, valueSum: nonNullSum(c.result.values))),
                ("c_last_10k_select_latest", cs.json(rows: cs.result.values.count,
                                                     valueSum: nonNullSum(cs.result.values))),
                ("maxrss_mb", .double(maxRSSMiB())),
                ("points", .int(n)), ("series", .int(stats.series)), ("segments", .int(stats.segments)),
                ("segment_files", .int(fileCount(store + "/segments"))), ("import_batches", .int(load.batches)),
                ("open_mode", .string(openMode.rawValue)),
                ("reopen_ms", .array(session.openMillis.map { .double($0) })),
                ("answers_ok", .bool(checks.failures.isEmpty)),
            ])
            emit(result, format: format)
            if !checks.failures.isEmpty {
                for failure in checks.failures { printError("tally-bench: wrong answer: \(failure)") }
                throw ExitCode(1)
            }
        }
    }
}

/// The version the harness reports as `version`.
let tallyBenchVersion = "0.1.0"

/// How the query phase opens the store.
enum OpenMode: String, ExpressibleByArgument, CaseIterable {
    case readOnly = "read-only"
    case writer

    var options: StoreOptions { StoreOptions(readOnly: self == .readOnly) }
}

/// The compensated sum of the values that are not null.
func nonNullSum(_ values: [Double]) -> Double {
    compensatedSum(values.lazy.filter { optionalValue($0) != nil })
}

/// The key of peer series `n`: metric `peer`, label `series="n"`.
func peerKey(_ n: Int) -> SeriesKey {
    SeriesKey(metric: "peer", labels: [Label("series", String(n))])
}

/// Loads the dataset through the library: open (create), importBulk (one batch or several), close.
private func loadStore(_ dataset: PeerDataset, keys: [SeriesKey], at path: String,
                       batchPoints: Int) throws -> (seconds: Double, cpuSeconds: Double, batches: Int) {
    let n = dataset.times.count
    let start = monotonicSeconds()
    let cpuStart = processCPUSeconds()
    let store = try Store.open(at: path)
    if batchPoints == 0 {
        // One batch taking the dataset's columns as they are (sorted by series): no copy of times or values.
        var seriesKeys: [SeriesKey] = []
        var counts: [Int] = []
        dataset.seriesIDs.withUnsafeBufferPointer { ids in
            var i = 0
            while i < n {
                var end = i + 1
                while end < n && ids[end] == ids[i] { end += 1 }
                seriesKeys.append(keys[Int(ids[i])])
                counts.append(end - i)
                i = end
            }
        }
        let batch = WriteBatch(origin: BatchOrigin(kind: "bench", source: "peer dataset"), series: seriesKeys,
                               pointCounts: counts, times: dataset.times, columnValues: dataset.values)
        try store.importBulk(batch)
        try store.close()
        return (monotonicSeconds() - start, processCPUSeconds() - cpuStart, 1)
    }
    var batches = 0
    var batchIndex = [Int](repeating: -1, count: keys.count)
    var touched: [Int] = []
    var batch = WriteBatch(origin: BatchOrigin(kind: "bench", source: "peer dataset"))
    batch.reserveCapacity(points: batchPoints == 0 ? n : min(n, batchPoints))
    let seriesIDs = dataset.seriesIDs, times = dataset.times, values = dataset.values
    // The dataset is sorted by (series, time): hand the batch each series' run of points at once.
    var i = 0
    while i < n {
        let s = Int(seriesIDs[i])
        var end = i + 1
        while end < n && Int(seriesIDs[end]) == s { end += 1 }
        if batchPoints > 0 && batch.pointCount >= batchPoints && batchIndex[s] < 0 {
            try store.importBulk(batch)
            batches += 1
            for t in touched { batchIndex[t] = -1 }
            touched.removeAll(keepingCapacity: true)
            batch = WriteBatch(origin: BatchOrigin(kind: "bench", source: "peer dataset"))
            batch.reserveCapacity(points: min(n - i, batchPoints + batchPoints / 4))
        }
        var index = batchIndex[s]
        if index < 0 {
            index = batch.addSeries(keys[s])
            batchIndex[s] = index
            touched.append(s)
        }
        batch.append(series: index, times: times[i..<end], columnValues: values[i..<end])
        i = end
    }
    if !batch.isEmpty {
        try store.importBulk(batch)
        batches += 1
    }
    try store.close()
    return (monotonicSeconds() - start, processCPUSeconds() - cpuStart, batches)
}

/// Opens the store for each cold run (after dropping the page cache) and times cold and warm runs.
private struct QuerySession {
    let path: String
    let mode: OpenMode
    private var store: Store?
    /// The time of every reopen before a cold run, in order.
    private(set) var openMillis: [Double] = []
    private(set) var cacheDropped = true

    init(path: String, mode: OpenMode) {
        self.path = path
        self.mode = mode
    }

    /// The store opened last.
    var current: Store? { store }

    /// Closes the store opened last (a writer releases its lock).
    mutating func finish() throws {
        if let store, mode == .writer { try store.close() }
        store = nil
    }

    /// Drops the page cache and opens the store again (the open is timed).
    mutating func reopen() throws -> Store {
        if let store, mode == .writer { try store.close() }
        store = nil
        if !dropPageCache() {
            if cacheDropped { printError("note: cannot drop the page cache (not root?); cold runs are not cold") }
            cacheDropped = false
        }
        let (ms, opened) = try timedMillis { try Store.open(at: path, options: mode.options) }
        openMillis.append(ms)
        store = opened
        return opened
    }

    /// The store opened last, or a new open (untimed, page cache kept) when none is open.
    mutating func reopenedStore() throws -> Store {
        if let store { return store }
        let opened = try Store.open(at: path, options: mode.options)
        store = opened
        return opened
    }

    /// One cold run right after ``reopen()`` (and `prepare`, untimed), then `reps` warm runs.
    mutating func measure<R>(reps: Int, prepare: (Store) throws -> Void = { _ in },
                             query: (Store) throws -> R) throws -> Measured<R> {
        let store = try reopen()
        try prepare(store)
        let (cold, first) = try timedMillis { try query(store) }
        var warm = Samples()
        var last = first
        for _ in 0..<reps {
            let (ms, result) = try timedMillis { try query(store) }
            warm.add(ms)
            last = result
        }
        return Measured(coldMillis: cold, warm: warm, result: last)
    }
}

/// A query's timings and its last (warm) answer.
private struct Measured<R> {
    var coldMillis: Double
    var warm: Samples
    var result: R

    func json(rows: Int, valueSum: Double, extra: [(String, JSONValue)] = []) -> JSONValue {
        .object([("cold_ms", .double(coldMillis)), ("warm", warm.warmJSON), ("rows", .int(rows)),
                 ("value_sum", .double(valueSum))] + extra)
    }
}

/// Collected wrong answers.
private struct AnswerChecks {
    var failures: [String] = []

    mutating func rows(_ query: String, _ got: Int, _ want: Int) {
        if got != want { failures.append("\(query): \(got) rows, expected \(want)") }
    }

    mutating func sum(_ query: String, _ got: Double, _ want: Double) {
        if !isClose(got, want) { failures.append("\(query): value sum \(got), expected \(want)") }
    }
}

private func checkLatest(_ name: String, _ result: LatestRows, _ params: PeerParams, _ checks: inout AnswerChecks) {
    checks.rows(name, result.values.count, params.expected.cRows)
    checks.sum(name, nonNullSum(result.values), params.expected.cValueSum)
    let tsSum = result.times.reduce(Int64(0), &+)
    if tsSum != params.expected.cTsMaxSum {
        checks.failures.append("\(name): sum of latest times \(tsSum), expected \(params.expected.cTsMaxSum)")
    }
    if Set(result.series).count != result.series.count { checks.failures.append("\(name): repeated series") }
}

// MARK: - The queries (small non-generic functions, so the optimiser specialises their loops)

struct RangeRows {
    var times: [Int64]
    var values: [Double]
}

/// (a): the points of one series in a range, as arrays.
@inline(never)
func rangeQuery(_ store: Store, _ key: SeriesKey, _ range: TimeRange) throws -> RangeRows {
    guard let info = store.series(key: key) else { throw BenchFailure("no series \(key)") }
    let columns = try store.read(info.id, in: range)
    return RangeRows(times: columns.times, values: columns.values)
}

struct DailyRows {
    var days: [Int64]
    var averages: [Double]
}

/// (b): the average value of each UTC day with points, nulls skipped, ordered by day.
@inline(never)
func dailyAverageQuery(_ store: Store, _ key: SeriesKey, _ range: TimeRange) throws -> DailyRows {
    guard let info = store.series(key: key) else { throw BenchFailure("no series \(key)") }
    let columns = try store.read(info.id, in: range)
    return dailyAverages(times: columns.times, values: columns.values)
}

@inline(never)
func dailyAverages(times: [Int64], values: [Double]) -> DailyRows {
    let dayMillis: Int64 = 86_400_000
    var out = DailyRows(days: [], averages: [])
    out.days.reserveCapacity(times.isEmpty ? 0 : 400)
    out.averages.reserveCapacity(times.isEmpty ? 0 : 400)
    var currentDay = Int64.min
    var sum = 0.0
    var count = 0
    times.withUnsafeBufferPointer { t in
        values.withUnsafeBufferPointer { v in
            for i in 0..<t.count {
                let value = v[i]
                if optionalValue(value) == nil { continue }
                let time = t[i]
                let day = time >= 0 ? time / dayMillis : (time + 1) / dayMillis - 1
                if day != currentDay {
                    if count > 0 {
                        out.days.append(currentDay)
                        out.averages.append(sum / Double(count))
                    }
                    currentDay = day
                    sum = 0
                    count = 0
                }
                sum += value
                count += 1
            }
        }
    }
    if count > 0 {
        out.days.append(currentDay)
        out.averages.append(sum / Double(count))
    }
    return out
}

struct LatestRows {
    var series: [Int32]
    var times: [Int64]
    var values: [Double]
}

/// The store ids of the peer series 0..<keys.count.
func resolveIDs(_ store: Store, keys: [SeriesKey]) throws -> [SeriesID] {
    try keys.map { key in
        guard let info = store.series(key: key) else { throw BenchFailure("no series \(key)") }
        return info.id
    }
}

/// (c): the latest point of each series (ids known), as arrays; `ids[i]` is peer series `i`.
@inline(never)
func latestQuery(_ store: Store, ids: [SeriesID]) -> LatestRows {
    let latest = store.latest(ids)
    var out = LatestRows(series: [], times: [], values: [])
    out.series.reserveCapacity(latest.count)
    out.times.reserveCapacity(latest.count)
    out.values.reserveCapacity(latest.count)
    for (i, point) in latest.enumerated() {
        guard let point else { continue }
        out.series.append(Int32(i))
        out.times.append(point.time)
        out.values.append(point.value)
    }
    return out
}

/// (c) with the selection: every series of metric `peer`, its number from the `series` label, its latest point.
@inline(never)
func selectLatestQuery(_ store: Store) throws -> LatestRows {
    let infos = store.series(matching: SeriesSelector(metric: "peer"))
    let latest = store.latest(infos.map(\.id))
    var out = LatestRows(series: [], times: [], values: [])
    out.series.reserveCapacity(latest.count)
    out.times.reserveCapacity(latest.count)
    out.values.reserveCapacity(latest.count)
    for (info, point) in zip(infos, latest) {
        guard let point else { continue }
        guard let number = info.key[label: "series"].flatMap({ Int32($0) }) else {
            throw BenchFailure("series \(info.key) has no numeric series label")
        }
        out.series.append(number)
        out.times.append(point.time)
        out.values.append(point.value)
    }
    return out
}

struct WeeklyRows {
    var starts: [Int64]
    var averages: [Double]
    var points = 0
    var usage = BlockAggregation.Usage()
}

/// Weeks start on Mondays (UTC), as the query language's `bucket 1w`.
let weekBucketing = Bucketing(width: QueryDuration(milliseconds: 7 * 86_400_000))!

/// (d): the per-week average of a whole series through the block-statistics path of `bucket 1w avg`.
@inline(never)
func weeklyAverageQuery(_ store: Store, _ key: SeriesKey) throws -> WeeklyRows {
    guard let info = store.series(key: key) else { throw BenchFailure("no series \(key)") }
    var usage = BlockAggregation.Usage()
    guard let columns = try BlockAggregation.aggregate(store, info.id, from: .min, to: .max, bucketing: weekBucketing,
                                                       aggregate: .avg, usage: &usage) else {
        throw BenchFailure("block statistics could not answer the weekly average of \(key)")
    }
    return WeeklyRows(starts: columns.times, averages: columns.values, usage: usage)
}

/// (d)'s answer from every point, decoded: the reference the fast path is checked against.
func weeklyAverageReference(_ store: Store, _ key: SeriesKey) throws -> WeeklyRows {
    guard let info = store.series(key: key) else { throw BenchFailure("no series \(key)") }
    let columns = try store.read(info.id, in: .all)
    var out = WeeklyRows(starts: [], averages: [], points: columns.count)
    var sum = 0.0, count = 0
    for i in columns.times.indices {
        let week = weekBucketing.start(of: columns.times[i])
        if out.starts.last != week {
            if count > 0 { out.averages.append(sum / Double(count)) }
            out.starts.append(week)
            sum = 0
            count = 0
        }
        if let value = optionalValue(columns.values[i]) {
            sum += value
            count += 1
        }
    }
    if !out.starts.isEmpty { out.averages.append(count > 0 ? sum / Double(count) : columnValue(nil)) }
    return out
}
