#if canImport(Glibc)
import Glibc
#endif
import TallyAnalysis
import TallyStorage

/// Builds the demo store: a year of daily (and, for one dataset, hourly) data-quality scans over several
/// data sources and datasets, with incidents planted at known days. Deterministic for a given anchor day.
public struct DemoStore {
    /// An incident the demo planted, for people and tests to find.
    public struct Incident: Sendable, Equatable {
        public var series: SeriesKey
        public var kind: String
        public var from: Int64
        public var to: Int64
        public var description: String
    }

    /// What the demo built.
    public struct Summary: Sendable {
        public var seriesCount: Int
        public var pointCount: Int
        public var scanCount: Int
        public var from: Int64
        public var to: Int64
        public var incidents: [Incident]
    }

    public static let metadataKey = "demo"
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000
    /// A warehouse scan's time, after its scheduled start (Soda Core's run takes a minute and a half).
    static let sodaScanDelay: Int64 = 90_000

    /// The first scan day is `days` before `anchorDay` (epoch ms of a UTC midnight); the last is the anchor.
    public let anchorDay: Int64
    public let days: Int
    /// Scans later than this time are left out (`tally demo` passes the current time, so a demo anchored to today
    /// holds no scans that have not happened yet). The values of the scans kept do not depend on it.
    public let notAfter: Int64

    public init(anchorDay: Int64, days: Int = 365, notAfter: Int64 = .max) {
        self.anchorDay = anchorDay
        self.days = days
        self.notAfter = notAfter
    }

    /// The UTC midnight that starts the day of `now`.
    public static func today(now: Int64 = currentTimeMillis()) -> Int64 {
        now - ((now % day) + day) % day
    }

    struct Dataset {
        var datasource: String
        var name: String
        var baseRows: Double
        var growthPerDay: Double
        var weekendFactor: Double
        var hourly: Bool
    }

    static let datasets = [
        Dataset(datasource: "warehouse", name: "orders", baseRows: 12_000, growthPerDay: 18, weekendFactor: 0.55, hourly: false),
        Dataset(datasource: "warehouse", name: "customers", baseRows: 48_000, growthPerDay: 35, weekendFactor: 0.97, hourly: false),
        Dataset(datasource: "warehouse", name: "payments", baseRows: 11_000, growthPerDay: 15, weekendFactor: 0.6, hourly: false),
        Dataset(datasource: "lake", name: "inventory", baseRows: 8_200, growthPerDay: 2, weekendFactor: 1.0, hourly: false),
        Dataset(datasource: "lake", name: "events", baseRows: 90_000, growthPerDay: 60, weekendFactor: 0.7, hourly: true),
    ]

    /// The planted incidents, by day offset from the first scan day.
    public var incidents: [Incident] {
        let start = anchorDay - Int64(days - 1) * DemoStore.day
        func at(_ dayIndex: Int) -> Int64 { start + Int64(dayIndex) * DemoStore.day }
        let key = { (ds: String, dataset: String, metric: String, column: String?) -> SeriesKey in
            var labels = ["datasource": ds, "dataset": dataset, "scan_definition": "daily_\(ds)"]
            if let column { labels["column"] = column }
            return SeriesKey(metric: metric, labels: labels)
        }
        return [
            Incident(series: key("warehouse", "orders", "row_count", nil), kind: "drop to zero",
                     from: at(days - 20), to: at(days - 19), description: "the nightly load wrote no orders"),
            Incident(series: key("warehouse", "payments", "avg", "amount"), kind: "spike",
                     from: at(days - 45), to: at(days - 44), description: "amounts loaded in cents instead of euros"),
            Incident(series: key("warehouse", "customers", "row_count", nil), kind: "level shift",
                     from: at(days - 90), to: at(days), description: "a second region started syncing customers"),
            Incident(series: key("lake", "inventory", "row_count", nil), kind: "stuck value",
                     from: at(days - 15), to: at(days - 5), description: "the inventory snapshot stopped refreshing"),
            Incident(series: key("warehouse", "customers", "missing_count", "email"), kind: "missing values",
                     from: at(days - 30), to: at(days - 27), description: "a form change left email empty"),
        ]
    }

    /// The times the demo's scans can have: its scans are Soda scan documents, whose years have four digits.
    public static let scanTimes = TimeText.parse("0000-01-01T00:00:00Z")!..<TimeText.parse("+10000-01-01T00:00:00Z")!

    /// Checks that every scan of the demo falls within ``scanTimes`` (an anchor far in the past or future made times
    /// that overflowed, or scan documents that could not be read back after half the demo was written).
    public func validate() throws(StoreError) {
        let (span, spanOverflow) = Int64(Swift.max(0, days - 1)).multipliedReportingOverflow(by: DemoStore.day)
        let first = timeShift(anchorDay, back: span)   // Int64.min, outside the scan times, when it overflows
        guard days >= 1, !spanOverflow, DemoStore.scanTimes.contains(first),
              anchorDay <= DemoStore.scanTimes.upperBound - DemoStore.day else {
            throw StoreError.invalid(InputError(field: "anchor", message: "the demo's \(days) days of scans up to "
                + "\(TimeText.format(anchorDay)) do not fit in the years 0000 to 9999 that Soda scan documents can carry"))
        }
    }

    /// Writes the demo into `store` as one bulk import and returns what it built.
    ///
    /// - Throws: ``StoreError/invalid(_:)`` when a scan would fall outside ``scanTimes`` (see ``validate()``;
    ///   nothing is written then).
    @discardableResult
    public func build(into store: Store) throws(StoreError) -> Summary {
        try validate()
        // Marked first: a demo that stops half-way is still one, which the next `tally demo` replaces.
        try store.setMetadata(DemoStore.metadataKey, TimeText.format(anchorDay))
        var rng = SplitMix64(seed: 20_240_501)
        var batch = WriteBatch(origin: BatchOrigin(kind: "demo", source: "tally demo", details: ["anchor": TimeText.format(anchorDay)]))
        let start = anchorDay - Int64(days - 1) * DemoStore.day
        func dayIndex(_ t: Int64) -> Int { Int((t - start) / DemoStore.day) }
        var scans = 0
        // The warehouse is scanned by Soda Core: one scan document a day for its three tables.
        var documents: [Int: DemoScanDocument] = [:]
        for dataset in DemoStore.datasets {
            let viaSoda = dataset.datasource == "warehouse"
            let missingColumn = dataset.name == "customers" ? "email" : "id"
            let base = ["datasource": dataset.datasource, "dataset": dataset.name, "scan_definition": "daily_\(dataset.datasource)"]
            // The lake's series are written directly: each metric gets an identity and each check the identity of the
            // metric it measures, as Soda ingest gives them (so a check's value has its metric's unit).
            func identity(_ metric: String, column: String?) -> String {
                "metric-daily_\(dataset.datasource)-\(dataset.datasource)-\(dataset.name)-\(column.map { $0 + "-" } ?? "")\(metric)"
            }
            func series(_ metric: String, column: String? = nil, unit: String, valueType: String) -> Int {
                var labels = base
                if let column { labels["column"] = column }
                var attributes = ["unit": unit, "value_type": valueType]
                if !viaSoda { attributes["identity"] = identity(metric, column: column) }
                return batch.addSeries(SeriesKey(metric: metric, labels: labels), kind: .measurement, attributes: Attributes(attributes))
            }
            func check(_ name: String, measuring metric: String, column: String? = nil) -> Int {
                var labels = base
                labels["check"] = name
                if let column { labels["column"] = column }
                var attributes = ["definition": name]
                if !viaSoda { attributes["measurement_identity"] = identity(metric, column: column) }
                return batch.addSeries(SeriesKey(metric: "check", labels: labels), kind: .check, attributes: Attributes(attributes))
            }
            let rows = series("row_count", unit: "rows", valueType: "integer")
            let missing = series("missing_count", column: dataset.name == "customers" ? "email" : "id", unit: "rows", valueType: "integer")
            let duplicates = series("duplicate_count", column: "id", unit: "rows", valueType: "integer")
            let freshness = series("freshness", column: "updated_at", unit: "seconds", valueType: "integer")
            let average = series("avg", column: "amount", unit: "EUR", valueType: "decimal")
            let rowsCheck = check("row_count > 0", measuring: "row_count")
            let missingCheck = check("missing_count < 25", measuring: "missing_count", column: dataset.name == "customers" ? "email" : "id")
            let freshnessCheck = check("freshness < 6h", measuring: "freshness", column: "updated_at")

            let step = dataset.hourly ? DemoStore.hour : DemoStore.day
            let count = dataset.hourly ? days * 24 : days
            var stuckValue: Double?
            for i in 0..<count {
                let scheduled = start + Int64(i) * step + (dataset.hourly ? 0 : 6 * DemoStore.hour)
                let t = scheduled + Int64(Double.random(in: 0..<240, using: &rng)) * 1000
                let d = dayIndex(scheduled)
                let weekday = ((Int(scheduled / DemoStore.day) % 7) + 10) % 7   // 0 = Monday
                let weekend = weekday >= 5
                var rowCount = dataset.baseRows + dataset.growthPerDay * Double(d)
                if weekend { rowCount *= dataset.weekendFactor }
                if dataset.hourly {
                    let hourOfDay = Double((scheduled / DemoStore.hour) % 24)
                    rowCount = rowCount / 24 * (1 + 0.6 * sin((hourOfDay - 8) / 24 * 2 * Double.pi))
                }
                rowCount *= 1 + 0.015 * rng.nextGaussian()
                // Planted incidents.
                if dataset.name == "customers" && d >= days - 90 { rowCount *= 1.4 }
                if dataset.name == "orders" && d == days - 20 { rowCount = 0 }
                if dataset.name == "inventory" && d >= days - 15 && d < days - 5 {
                    if stuckValue == nil { stuckValue = rowCount.rounded() }
                    rowCount = stuckValue!
                }
                rowCount = max(0, rowCount.rounded())
                var missingCount = (3 + 1.5 * rng.nextGaussian()).rounded()
                if dataset.name == "customers" && d >= days - 30 && d < days - 27 { missingCount = (rowCount * 0.08).rounded() }
                missingCount = max(0, missingCount)
                let duplicateCount = Double.random(in: 0..<1, using: &rng) < 0.04 ? Double(Int.random(in: 1...4, using: &rng)) : 0
                var amount = ((84.5 + 2.2 * rng.nextGaussian()) * 100).rounded() / 100
                if dataset.name == "payments" && d == days - 45 { amount = (amount * 100 * 100).rounded() / 100 }
                let freshnessSeconds = max(60, ((dataset.hourly ? 900 : 3 * 3600) + 600 * rng.nextGaussian()).rounded())
                let hasAmount = dataset.name == "orders" || dataset.name == "payments"
                // Every draw above is made for a scan that is left out too, so the scans kept are the same.
                if (viaSoda ? scheduled + DemoStore.sodaScanDelay : t) > notAfter { continue }

                if viaSoda {
                    let table = dataset.name
                    var document = documents[d] ?? DemoScanDocument(definition: "daily_\(dataset.datasource)",
                                                                    dataSource: dataset.datasource, time: scheduled + DemoStore.sodaScanDelay)
                    document.add(metric: "row_count", table: table, value: rowCount)
                    document.add(metric: "missing_count", table: table, column: missingColumn, value: missingCount)
                    document.add(metric: "duplicate_count", table: table, column: "id", value: duplicateCount)
                    document.add(metric: "freshness", table: table, column: "updated_at", value: freshnessSeconds)
                    if hasAmount { document.add(metric: "avg", table: table, column: "amount", value: rowCount == 0 ? nil : amount) }
                    document.add(check: "row_count > 0", table: table, metric: "row_count", value: rowCount,
                                 outcome: rowCount > 0 ? .pass : .fail)
                    document.add(check: "missing_count < 25", table: table, column: missingColumn, metric: "missing_count",
                                 value: missingCount, outcome: missingCount < 25 ? .pass : (missingCount < 100 ? .warn : .fail))
                    document.add(check: "freshness < 6h", table: table, column: "updated_at", metric: "freshness",
                                 value: freshnessSeconds, outcome: freshnessSeconds < 6 * 3600 ? .pass : .fail)
                    documents[d] = document
                    scans += 1
                    continue
                }
                batch.append(series: rows, time: t, value: rowCount)
                batch.append(series: missing, time: t, value: missingCount)
                batch.append(series: duplicates, time: t, value: duplicateCount)
                batch.append(series: freshness, time: t, value: freshnessSeconds)
                if hasAmount { batch.append(series: average, time: t, value: rowCount == 0 ? nil : amount) }
                batch.append(series: rowsCheck, time: t, value: rowCount, outcome: rowCount > 0 ? .pass : .fail)
                batch.append(series: missingCheck, time: t, value: missingCount,
                             outcome: missingCount < 25 ? .pass : (missingCount < 100 ? .warn : .fail))
                batch.append(series: freshnessCheck, time: t, value: freshnessSeconds,
                             outcome: freshnessSeconds < 6 * 3600 ? .pass : .fail)
                scans += 1
            }
        }
        // Series without points (avg for datasets with no amount, the warehouse's series) are not written.
        let receipt = try store.importBulk(batch.droppingEmptySeries())
        // The Soda scans go in like real scan results, a month of documents per group commit.
        var points = receipt.pointCount
        let ordered = documents.keys.sorted().map { documents[$0]! }
        var first = 0
        while first < ordered.count {
            var group: [GroupWrite] = []
            for document in ordered[first..<min(first + 31, ordered.count)] {
                let scan: SodaScan
                do throws(SodaError) {
                    scan = try SodaScan.parse(document.bytes)
                } catch {
                    throw StoreError.invalid(InputError(path: error.path.description, message: "demo scan document: \(error.message)"))
                }
                group.append(GroupWrite(batch: scan.writeBatch(source: "tally demo"),
                                        document: (kind: "soda/" + scan.kind.rawValue, bytes: scan.canonicalDocument)))
            }
            for result in store.writeGroup(group) { points += try result.get().pointCount }
            first += 31
        }
        // Soda's scan results carry no unit: give the warehouse's series theirs, as `tally series set` would.
        let warehouse: LabelMatcher
        do throws(InputError) { warehouse = try LabelMatcher(name: "datasource", op: .equal, value: "warehouse") } catch { throw .invalid(error) }
        for (metric, unit) in [("row_count", "rows"), ("missing_count", "rows"), ("duplicate_count", "rows"),
                               ("freshness", "seconds"), ("avg", "EUR")] {
            try store.setAttributes(Attributes(["unit": unit]), of: SeriesSelector(metric: metric, matchers: [warehouse]),
                                    origin: BatchOrigin(kind: "edit", source: "tally demo"))
        }
        return Summary(seriesCount: store.series(matching: .all).count, pointCount: points,
                       scanCount: scans, from: start,
                       to: Swift.min(anchorDay + DemoStore.day, timeShift(notAfter, by: 1)), incidents: incidents)
    }
}

extension WriteBatch {
    /// The same batch without series that have no points.
    func droppingEmptySeries() -> WriteBatch {
        var used = [Bool](repeating: false, count: series.count)
        for i in seriesIndexes { used[Int(i)] = true }
        if !used.contains(false) { return self }
        var out = WriteBatch(origin: origin)
        var map = [Int](repeating: -1, count: series.count)
        for (i, definition) in series.enumerated() where used[i] {
            map[i] = out.addSeries(definition.key, kind: definition.kind, attributes: definition.attributes)
        }
        out.reserveCapacity(points: pointCount)
        for k in 0..<pointCount {
            out.append(series: map[Int(seriesIndexes[k])], time: times[k], columnValue: values[k], outcomeCode: outcomes[k])
        }
        return out
    }
}
