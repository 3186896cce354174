import Tally

/// Builds the history rows the Soda Cloud answers need (``SodaMeasurementRow``, ``SodaCheckResultRow``) from
/// the store.
///
/// * Measurements are the points of the measurement series whose attribute `identity` is the metric identity.
///   A row's id is `<lsn>-<series id>` (the batch that wrote the point, and the series): deterministic, and the
///   same for a measurement and for the check results that point at it.
/// * Numbers come from the points, written as integers when the series' `value_type` is `integer` (Soda's
///   change-over-time keeps Python's int/float distinction). Values that are not numbers (the schema's column
///   list, group-by rows, timestamps, nulls) come from the stored scan document.
/// * Check results are the points of check series that answer to the identity in any version (the series key,
///   attributes `identity`, `identity_v1`…`identity_v4`, the space-separated `aliases`). Their diagnostics and
///   `measurementId` (the check's `metrics[0]` in the same scan) come from the stored scan document; feedback
///   from the catalog (``CatalogSideTables``).
final class SodaHistory: Sendable {
    let store: Store
    let sideTables: CatalogSideTables
    private let cache: Locked<ScanExtractCache>

    init(store: Store, sideTables: CatalogSideTables, cachedScans: Int = 4096) {
        self.store = store
        self.sideTables = sideTables
        cache = Locked(ScanExtractCache(capacity: cachedScans))
    }

    // MARK: Measurements

    /// The measurements of these metric identities in `range`, at most `newest` per series (the newest ones).
    func measurements(identities: Set<String>, in range: TimeRange, newest: Int?) throws -> [SodaMeasurementRow] {
        var rows: [SodaMeasurementRow] = []
        for info in measurementSeries(identities) {
            guard let identity = info.attributes["identity"] else { continue }
            var points = try store.read(info.id, in: range)
            if let newest, points.count > newest { points = points.suffix(newest) }
            let integer = info.attributes["value_type"] == "integer"
            let fromDocument = info.attributes["derived_from"] != nil
            let needDocuments = points.times.indices.filter { fromDocument || optionalValue(points.values[$0]) == nil }
            try prefetch(needDocuments.map { points.lsns[$0] })
            for i in points.times.indices {
                let lsn = points.lsns[i]
                let number = optionalValue(points.values[i])
                var value: SodaJSON?
                if let number, !fromDocument {
                    value = SodaHistory.json(number, integer: integer)
                } else if let raw = try scan(lsn)?.rawValues[identity] {
                    value = raw.isNull ? nil : raw
                } else if let number {
                    value = SodaHistory.json(number, integer: integer)
                }
                rows.append(SodaMeasurementRow(id: SodaResultID(lsn: lsn, series: info.id).text, identity: identity, value: value,
                                               dataTime: SodaTimestamp(epochMilliseconds: points.times[i])))
            }
        }
        return rows
    }

    /// A number as Soda sent it: `108` for integer series (when the value is whole), `21.25` / `108.0` otherwise.
    static func json(_ value: Double, integer: Bool) -> SodaJSON? {
        if integer, value == value.rounded(), abs(value) < 9.0e15 { return .number(SodaNumber(Int64(value))) }
        return SodaNumber(value).map(SodaJSON.number)
    }

    /// The measurement series carrying these metric identities.
    func measurementSeries(_ identities: Set<String>) -> [SeriesInfo] {
        if identities.count == 1, let only = identities.first {
            return store.series(whereAttribute: "identity", equals: only).filter { $0.kind == .measurement }
        }
        return store.series(matching: .all).filter {
            $0.kind == .measurement && $0.attributes["identity"].map(identities.contains) == true
        }
    }

    // MARK: Check results

    /// The results of the checks answering to any of these identities in `range`, at most `newest` per series.
    func checkResults(identities: Set<String>, in range: TimeRange, newest: Int?) throws -> [SodaCheckResultRow] {
        let checks = checkSeries(identities)
        if checks.isEmpty { return [] }
        var measurementIDs: [String: [SeriesID]] = [:]
        var rows: [SodaCheckResultRow] = []
        // Per row: the check series, the measurement series and the time (for `tally feedback` verdicts).
        var origins: [(check: SeriesID, measurement: SeriesID?, time: Int64)] = []
        for info in checks {
            var points = try store.read(info.id, in: range)
            if let newest, points.count > newest { points = points.suffix(newest) }
            let key = info.key.labels.first { $0.name == "check" }?.value ?? info.attributes["identity"]
            let all = SodaHistory.identities(of: info)
            try prefetch(points.lsns)
            for i in points.times.indices {
                let lsn = points.lsns[i]
                let extract = try scan(lsn)
                let check = key.flatMap { extract?.checks[$0] }
                let measurementIdentity = check?.measurementIdentity ?? info.attributes["measurement_identity"]
                var measurementId: String?
                var measurementSeriesID: SeriesID?
                if let measurementIdentity {
                    if measurementIDs[measurementIdentity] == nil {
                        measurementIDs[measurementIdentity] = measurementSeries([measurementIdentity]).map(\.id)
                    }
                    // The measurement series that has a point written by the same batch.
                    let candidates = measurementIDs[measurementIdentity] ?? []
                    var chosen = candidates.first
                    if candidates.count > 1 {
                        let at = TimeRange(from: points.times[i], to: points.times[i] + 1)
                        for id in candidates where try store.read(id, in: at).lsns.contains(lsn) {
                            chosen = id
                            break
                        }
                    }
                    measurementId = chosen.map { SodaResultID(lsn: lsn, series: $0).text }
                    measurementSeriesID = chosen
                }
                let outcome = SodaOutcome(rawValue: Int(points.outcomes.isEmpty ? 5 : points.outcomes[i])) ?? .notEvaluated
                rows.append(SodaCheckResultRow(
                    id: SodaResultID(lsn: lsn, series: info.id).text, checkId: "\(info.id)", identities: all, identity: key,
                    measurementId: measurementId, type: check?.type ?? info.attributes["type"], outcome: outcome,
                    dataTime: SodaTimestamp(epochMilliseconds: points.times[i]),
                    diagnostics: check?.diagnostics ?? SodaHistory.fallbackDiagnostics(points.values[i])))
                origins.append((info.id, measurementSeriesID, points.times[i]))
            }
        }
        // Feedback given in Soda's terms (POST /api/v1/soda/feedback) wins; otherwise a `tally feedback` verdict
        // on the check's point or on its measurement's point is translated.
        let feedback = try sideTables.feedback(resultIDs: rows.compactMap(\.id))
        let verdictSeries = Set(origins.map(\.check) + origins.compactMap(\.measurement))
        var verdicts: [SeriesID: [Int64: FeedbackVerdict]] = [:]
        for record in try store.feedback(series: Array(verdictSeries), in: range) {
            verdicts[record.series, default: [:]][record.time] = record.verdict
        }
        if feedback.isEmpty && verdicts.isEmpty { return rows }
        for i in rows.indices {
            if let id = rows[i].id, let text = feedback[id] {
                rows[i].feedback = SodaHistory.feedback(text)
            } else if let verdict = verdicts[origins[i].check]?[origins[i].time]
                        ?? origins[i].measurement.flatMap({ verdicts[$0]?[origins[i].time] }) {
                rows[i].feedback = SodaHistory.feedback(verdict, outcome: rows[i].outcome)
            }
        }
        return rows
    }

    /// A `tally feedback` verdict as Soda feedback: `exclude` and `anomaly` keep the point out of training
    /// (`skipMeasurements: this`); `expected` marks it normal (a flagged point was misclassified). Only a
    /// classified point (pass, warn or fail) is said to be classified correctly or not: an errored or not
    /// evaluated one gets `isCorrectlyClassified: null`.
    static func feedback(_ verdict: FeedbackVerdict, outcome: SodaOutcome) -> SodaFeedback {
        let flagged: Bool? = switch outcome {
        case .pass: false
        case .warn, .fail: true
        case .error, .notEvaluated: nil
        }
        switch verdict {
        case .exclude:
            return SodaFeedback(skipMeasurements: .this)
        case .anomaly:
            return SodaFeedback(isCorrectlyClassified: flagged, isAnomaly: true, skipMeasurements: .this)
        case .expected:
            return SodaFeedback(isCorrectlyClassified: flagged.map { !$0 }, isAnomaly: false)
        }
    }

    /// Diagnostics for a check result without a stored document: `{"value": v}`.
    static func fallbackDiagnostics(_ value: Double) -> SodaJSON? {
        guard let number = optionalValue(value), let json = SodaNumber(number) else { return nil }
        return .object(SodaJSONObject(["value": .number(json)]))
    }

    /// Every identity a check series answers to: its key, `identity`, `identity_v1…v4`, `aliases`.
    static func identities(of info: SeriesInfo) -> [String] {
        var out: [String] = []
        func add(_ s: String?) { if let s, !s.isEmpty, !out.contains(s) { out.append(s) } }
        add(info.key.labels.first { $0.name == "check" }?.value)
        add(info.attributes["identity"])
        for version in ["v1", "v2", "v3", "v4"] { add(info.attributes["identity_" + version]) }
        for alias in (info.attributes["aliases"] ?? "").split(separator: " ") { add(String(alias)) }
        return out
    }

    /// The check series answering to any of these identities.
    func checkSeries(_ identities: Set<String>) -> [SeriesInfo] {
        store.series(matching: SeriesSelector(metric: SodaScan.checkMetric)).filter { info in
            info.kind == .check && SodaHistory.identities(of: info).contains(where: identities.contains)
        }
    }

    /// The check series a Cloud `checkId` names: our `testId` (the series id), else any of its identities.
    func checkSeries(checkId: String) -> SeriesInfo? {
        if let id = SeriesID(checkId), let info = store.series(id: id), info.kind == .check { return info }
        return checkSeries([checkId]).first
    }

    static func feedback(_ text: String) -> SodaFeedback? {
        guard let json = try? SodaJSONParser.parse(Array(text.utf8), maximumValues: .max), let object = json.objectValue else { return nil }
        func bool(_ key: String) -> Bool? {
            if case .bool(let b)? = object[key] { return b }
            return nil
        }
        return SodaFeedback(
            isCorrectlyClassified: bool("isCorrectlyClassified"), isAnomaly: bool("isAnomaly"),
            reason: object["reason"]?.stringValue, freeTextReason: object["freeTextReason"]?.stringValue,
            skipMeasurements: object["skipMeasurements"]?.stringValue.flatMap(SodaFeedback.SkipMeasurements.init(rawValue:)))
    }

    // MARK: Stored scan documents

    /// What the history needs from one stored scan, read once and cached.
    struct ScanExtract: Sendable, Equatable {
        /// Raw values of the metrics whose value is not a plain number (lists, strings, null).
        var rawValues: [String: SodaJSON] = [:]
        var checks: [String: CheckExtract] = [:]
    }

    struct CheckExtract: Sendable, Equatable {
        var type: String
        var measurementIdentity: String?
        var diagnostics: SodaJSON?
    }

    /// The extract of the scan written by batch `lsn`, or nil when the batch kept no Soda document.
    func scan(_ lsn: LSN) throws -> ScanExtract? {
        if let hit = cache.withLock({ $0.get(lsn) }) { return hit }
        try prefetch([lsn])
        return cache.withLock { $0.get(lsn) } ?? nil
    }

    /// Reads and caches the extracts of these scans (those not cached yet), reading the batch list once.
    func prefetch(_ lsns: some Sequence<LSN>) throws {
        let missing = cache.withLock { cache in Set(lsns.filter { cache.get($0) == nil }) }
        if missing.isEmpty { return }
        let documents = try store.documents(ofBatches: missing)
        var extracts: [LSN: ScanExtract?] = [:]
        for lsn in missing {
            // A document that cannot be read back leaves the answer without diagnostics rather than failing it.
            guard let document = documents[lsn], document.kind.hasPrefix("soda/") else {
                extracts[lsn] = .some(nil)
                continue
            }
            extracts[lsn] = .some(SodaHistory.extract(document.bytes))
        }
        cache.withLock { cache in for (lsn, extract) in extracts { cache.put(lsn, extract) } }
    }

    /// What the history needs from a stored (already validated) scan document. Reads the JSON only; a document
    /// whose checks carry no `identities` (the Python API form, whose identities are computed) takes the full
    /// ``SodaScan/parse(_:)`` so that check keys match the series exactly.
    static func extract(_ bytes: [UInt8]) -> ScanExtract? {
        // Stored documents were checked when they came in: no value limit here.
        guard let json = try? SodaJSONParser.parse(bytes, maximumValues: .max), let root = json.objectValue else { return nil }
        var out = ScanExtract()
        for m in root["metrics"]?.arrayValue ?? [] {
            guard let o = m.objectValue, let identity = o["identity"]?.stringValue else { continue }
            let value = o["value"] ?? .null
            if value.numberValue == nil { out.rawValues[identity] = value }
        }
        for list in ["checks", "automatedMonitoringChecks"] {
            for c in root[list]?.arrayValue ?? [] {
                guard let o = c.objectValue else { continue }
                guard let ids = o["identities"]?.objectValue else { return fullExtract(bytes) }
                // The key is the highest identity version (v4, the user's `identity:`, when set), as at ingest.
                let versions = ids.compactMap { member -> (n: Int, name: String, id: String)? in
                    guard let id = member.value.stringValue else { return nil }
                    let n = member.key.hasPrefix("v") ? Int(member.key.dropFirst()) ?? -1 : -1
                    return (n, member.key, id)
                }.sorted { ($0.n, $0.name) < ($1.n, $1.name) }
                guard let key = versions.last?.id ?? o["identity"]?.stringValue else { continue }
                out.checks[key] = CheckExtract(type: o["type"]?.stringValue ?? "generic",
                                               measurementIdentity: o["metrics"]?.arrayValue?.first?.stringValue,
                                               diagnostics: o["diagnostics"].flatMap { $0.isNull ? nil : $0 })
            }
        }
        return out
    }

    static func fullExtract(_ bytes: [UInt8]) -> ScanExtract? {
        guard let scan = try? SodaScan.parse(bytes) else { return nil }
        var out = ScanExtract()
        for m in scan.measurements where m.number == nil { out.rawValues[m.identity] = m.rawValue }
        for c in scan.checks {
            out.checks[c.key] = CheckExtract(type: c.type, measurementIdentity: c.measurementIdentity, diagnostics: c.diagnostics)
        }
        return out
    }
}

/// A bounded map from LSN to scan extract; the oldest entry goes first when full.
struct ScanExtractCache {
    let capacity: Int
    private var entries: [LSN: SodaHistory.ScanExtract?] = [:]
    private var order: [LSN] = []
    private var head = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func get(_ lsn: LSN) -> SodaHistory.ScanExtract?? { entries[lsn] }

    mutating func put(_ lsn: LSN, _ value: SodaHistory.ScanExtract?) {
        if entries[lsn] == nil { order.append(lsn) }
        entries[lsn] = .some(value)
        while entries.count > capacity, head < order.count {
            entries.removeValue(forKey: order[head])
            head += 1
        }
        if head > 4096 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}

extension PointColumns {
    /// The last `n` points.
    func suffix(_ n: Int) -> PointColumns {
        let start = Swift.max(0, count - n)
        return PointColumns(times: Array(times[start...]), values: Array(values[start...]),
                            outcomes: outcomes.isEmpty ? [] : Array(outcomes[start...]),
                            lsns: lsns.isEmpty ? [] : Array(lsns[start...]))
    }
}

/// The id of a measurement or check result in Soda's history answers: `<lsn>-<series id>`, the batch (scan) that wrote
/// the point and its series. Deterministic, and the same for a measurement and the check results that point at it.
struct SodaResultID: Equatable {
    let lsn: LSN
    let series: SeriesID

    init(lsn: LSN, series: SeriesID) {
        self.lsn = lsn
        self.series = series
    }

    /// Reads the history's own spelling only (two whole numbers, no sign, no leading zero): feedback is kept under
    /// the id as given, so another spelling of the same numbers would be another id.
    init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let lsn = LSN(parts[0]), let series = SeriesID(parts[1]) else { return nil }
        self.init(lsn: lsn, series: series)
        guard self.text == text else { return nil }
    }

    var text: String { "\(lsn)-\(series)" }
}
