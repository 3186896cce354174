import TallyQuery
import TallyStorage

extension Store {
    /// Runs a query in the Tally query language (docs/query-language.md).
    ///
    /// ```swift
    /// let result = try store.query(#"row_count{dataset="orders"} | since 30d | bucket 1d avg"#)
    /// print(result.table())
    /// ```
    /// - Parameters:
    ///   - now: the instant `now` stands for (fixed once per query).
    /// - Throws: `QueryError` with line and column for a bad query; `StoreError` when reading fails.
    ///
    /// The stages `anomalies`, `forecast` and `where anomaly` run on ``AnomalyStageExtension`` (with the
    /// store's feedback).
    public func query(_ text: String, now: Int64 = currentTimeMillis(), limits: QueryLimits = QueryLimits()) throws -> QueryResult {
        try query(try Parser.parse(text), now: now, limits: limits)
    }

    /// Runs a parsed query (see ``query(_:now:limits:)``).
    public func query(_ query: Query, now: Int64 = currentTimeMillis(), limits: QueryLimits = QueryLimits()) throws -> QueryResult {
        let analysis = AnomalyStageExtension(store: self, query: query, limits: limits)
        return try QueryExecutor(dataSource: StoreDataSource(store: self), limits: limits, stageExtension: analysis)
            .run(query, now: now)
    }
}

/// Parses a series selector (`metric{label="v", label!="v", label=~"re", label!~"re"}`, either part optional)
/// as queries and `tally export` write it. Empty text selects every series.
public func parseSelector(_ text: String) throws(QueryError) -> SeriesSelector {
    if text.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" }) { return .all }
    let query = try Parser.parse(text)
    if let stage = query.stages.first {
        throw QueryError(.syntax, "a selector has no stages: expected the end of the selector", at: stage.span)
    }
    return try query.selector.seriesSelector()
}
