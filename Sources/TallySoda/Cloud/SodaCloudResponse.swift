/// Builders for the JSON bodies Soda Cloud answers, in the shapes soda-core 3.5.6 reads.
///
/// All are pure functions of plain rows; write the result with ``SodaJSON/compactBytes``.
///
/// History answers are `{"results": [...]}`, **newest `dataTime` first** (change-over-time and
/// schema evolution take `results[0]` as the previous value), rows with equal times in the order given,
/// cut to the query's `limit`.
public enum SodaCloudResponse {
    /// `login` → `{"token": "..."}`.
    public static func login(token: String) -> SodaJSON {
        .object(SodaJSONObject(["token": .string(token)]))
    }

    /// `sodaCoreCloudConfiguration` → `{"disableCollectingWarehouseData": bool}` (soda-core treats a
    /// missing key as `true`: no failed-row samples are sent).
    public static func cloudConfiguration(disableCollectingWarehouseData: Bool) -> SodaJSON {
        .object(SodaJSONObject(["disableCollectingWarehouseData": .bool(disableCollectingWarehouseData)]))
    }

    /// `sodaCoreAvailableCheckAttributes` → `{"results": [{"name", "type", "allowedValues", ...}]}`.
    public static func availableCheckAttributes(_ attributes: [SodaCheckAttributeDefinition]) -> SodaJSON {
        .object(SodaJSONObject(["results": .array(attributes.map(\.json))]))
    }

    /// `sodaCoreCheckIdentities` → `{"identities": {"v1": .., "v3": .., …}}` with the versions a stored check has,
    /// by version (`v1` … `v4`), in version order.
    public static func checkIdentities(stored: [String: String]) -> SodaJSON {
        .object(SodaJSONObject([
            "identities": .object(SodaJSONObject(stored.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) })),
        ]))
    }

    /// `sodaCoreInsertScanResults` → `{}`. soda-core only needs a 200 with a JSON body (it calls
    /// `response.json()`); it reads nothing from it.
    public static func insertScanResults() -> SodaJSON {
        .object(SodaJSONObject())
    }

    /// `{"results": rows}` in the order given.
    public static func results(_ rows: [SodaJSON]) -> SodaJSON {
        .object(SodaJSONObject(["results": .array(rows)]))
    }

    /// `sodaCoreHistoricMeasurements` (3.x): the rows of the queried identity inside the query's
    /// `measurement.dataTime` range, newest first, at most `limit`.
    public static func historicMeasurements(_ rows: [SodaMeasurementRow], for query: SodaHistoricMeasurementsQuery) -> SodaJSON {
        let selected = newestFirst(rows.filter { $0.identity == query.metricIdentity && query.admits($0.dataTime) }, time: \.dataTime)
        return results(limited(selected, query.limit).map(\.json))
    }

    /// `sodaCoreHistoricCheckResults` (3.x): the rows of the check that answers to the queried
    /// identity (any version), newest first, at most `limit`.
    public static func historicCheckResults(_ rows: [SodaCheckResultRow], for query: SodaHistoricCheckResultsQuery) -> SodaJSON {
        let selected = newestFirst(rows.filter { $0.matches(query.checkIdentity) }, time: \.dataTime)
        return results(limited(selected, query.limit).map(\.json))
    }

    /// `sodaCoreHistoricMeasurements2` (4.x): rows of any of the identities; with `limit`, the newest
    /// `limit` rows per identity; with a scan-time range, the rows inside it (inclusive). Newest first.
    public static func historicMeasurements(_ rows: [SodaMeasurementRow], for query: SodaHistoricBatchQuery) -> SodaJSON {
        results(batch(rows, query, identity: { row, id in row.identity == id }, time: \.dataTime).map(\.json))
    }

    /// `sodaCoreHistoricCheckResults2` (4.x): as ``historicMeasurements(_:for:)-(_,SodaHistoricBatchQuery)``
    /// for check results (a row matches any identity of its check).
    public static func historicCheckResults(_ rows: [SodaCheckResultRow], for query: SodaHistoricBatchQuery) -> SodaJSON {
        results(batch(rows, query, identity: { row, id in row.matches(id) }, time: \.dataTime).map(\.json))
    }

    /// The answer to any request, given the history the server holds and its settings. `nil` for
    /// `login` (the server must check the credentials and issue a token itself).
    public static func response(
        to request: SodaCloudRequest, measurements: [SodaMeasurementRow], checkResults: [SodaCheckResultRow],
        checkAttributes: [SodaCheckAttributeDefinition] = [], disableCollectingWarehouseData: Bool = true,
        checkIdentities: ((String) -> [String: String]?)? = nil
    ) -> SodaJSON? {
        switch request.body {
        case .login: return nil
        case .insertScanResults: return insertScanResults()
        case .cloudConfiguration: return cloudConfiguration(disableCollectingWarehouseData: disableCollectingWarehouseData)
        case .availableCheckAttributes: return availableCheckAttributes(checkAttributes)
        case let .checkIdentities(checkId): return checkIdentities?(checkId).map { SodaCloudResponse.checkIdentities(stored: $0) }
        case let .historicMeasurements(query): return historicMeasurements(measurements, for: query)
        case let .historicCheckResults(query): return historicCheckResults(checkResults, for: query)
        case let .historicMeasurements2(query): return historicMeasurements(measurements, for: query)
        case let .historicCheckResults2(query): return historicCheckResults(checkResults, for: query)
        }
    }

    // MARK: - Helpers

    static func newestFirst<Row>(_ rows: [Row], time: KeyPath<Row, SodaTimestamp>) -> [Row] {
        rows.enumerated().sorted { a, b in
            let ta = a.element[keyPath: time]
            let tb = b.element[keyPath: time]
            return ta != tb ? ta > tb : a.offset < b.offset
        }.map(\.element)
    }

    static func limited<Row>(_ rows: [Row], _ limit: Int?) -> [Row] {
        guard let limit else { return rows }
        return Array(rows.prefix(limit))
    }

    static func batch<Row>(
        _ rows: [Row], _ query: SodaHistoricBatchQuery, identity: (Row, String) -> Bool, time: KeyPath<Row, SodaTimestamp>
    ) -> [Row] {
        var picked = Set<Int>()
        let indexed = Array(rows.enumerated())
        switch query.selection {
        case let .limit(n):
            for id in query.identities {
                let matching = indexed.filter { identity($0.element, id) }
                let newest = newestFirst(matching.map { ($0.offset, $0.element[keyPath: time]) }, time: \.1).prefix(n)
                picked.formUnion(newest.map(\.0))
            }
        case let .scanTimeRange(min, max):
            for (offset, row) in indexed
            where query.identities.contains(where: { identity(row, $0) }) && row[keyPath: time] >= min && row[keyPath: time] <= max {
                picked.insert(offset)
            }
        }
        return newestFirst(indexed.filter { picked.contains($0.offset) }.map(\.element), time: time)
    }
}
