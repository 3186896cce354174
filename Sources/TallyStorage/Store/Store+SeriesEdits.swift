extension Store {
    /// Sets attributes (unit, description, …) of every selected series, without starting new series. Durable
    /// when it returns. Returns how many series changed.
    @discardableResult
    public func setAttributes(_ attributes: Attributes, of selector: SeriesSelector,
                              origin: BatchOrigin = BatchOrigin(kind: "edit", source: "series set")) throws(StoreError) -> Int {
        let targets = series(matching: selector)
        var batch = WriteBatch(origin: origin)
        for info in targets where info.attributes.merging(attributes) != info.attributes {
            batch.addSeries(info.key, kind: info.kind, attributes: attributes)
        }
        if batch.series.isEmpty { return 0 }
        try write(batch)
        return batch.series.count
    }

    /// Joins the history of `old` into `new` (when a check was edited and its identity changed): `old`'s points
    /// are written into `new` where `new` has no point at the same time (`new`'s own points win), `old`'s points
    /// are deleted, and `new` records the link in its `linked_from` attribute. People's verdicts (feedback) follow
    /// their points: a verdict of `old` moves to `new` unless `new` has a point or a verdict of its own at that time
    /// (it then stays with `old`, where `tally feedback list` shows it). Running it again is harmless; linking a
    /// series to itself is refused (it is always a mistake in the selectors).
    ///
    /// - Returns: how many points moved, how many of `old`'s were at times `new` already had (they are deleted
    ///   with the rest of `old`), and how many verdicts moved.
    @discardableResult
    public func link(_ old: SeriesKey, into new: SeriesKey) throws(StoreError) -> SeriesLinkReport {
        guard let from = series(key: old) else {
            throw StoreError.invalid(InputError(message: "no series \(old)"))
        }
        guard let to = series(key: new) else {
            throw StoreError.invalid(InputError(message: "no series \(new)"))
        }
        guard from.kind == to.kind else {
            throw StoreError.invalid(InputError(
                message: "\(old) is a \(from.kind) series and \(new) a \(to.kind) series: only series of one kind can be linked"))
        }
        guard from.id != to.id else {
            throw StoreError.invalid(InputError(
                message: "\(old) and \(new) are the same series: link joins the history of one series into another"))
        }
        let moving = try read(from.id)
        let existing = Set(try read(to.id).times)
        var batch = WriteBatch(origin: BatchOrigin(kind: "edit", source: "series link", details: ["from": old.description]))
        var links = to.attributes["linked_from"].map { $0.split(separator: " | ").map(String.init) } ?? []
        if !links.contains(old.description) { links.append(old.description) }
        let target = batch.addSeries(new, kind: to.kind, attributes: Attributes(["linked_from": links.joined(separator: " | ")]))
        for i in moving.times.indices where !existing.contains(moving.times[i]) {
            batch.append(series: target, time: moving.times[i], columnValue: moving.values[i],
                         outcomeCode: moving.outcomes.isEmpty ? 0 : moving.outcomes[i])
        }
        try write(batch)
        let verdicts = try moveFeedback(from: from.id, to: to.id, notAt: existing)
        try deleteSeries([from.id])
        return SeriesLinkReport(moved: batch.pointCount, superseded: moving.count - batch.pointCount, verdictsMoved: verdicts)
    }

    /// Deletes every point of these series.
    func deleteSeries(_ ids: Set<SeriesID>) throws(StoreError) {
        try flush()
        try maintenance.withLock { (_: inout Void) throws(StoreError) in
            let affected = state.withLock { s in
                let holding = s.index.segments(holding: ids)
                return s.segments.filter { holding.contains($0.id) }
            }
            _ = try rewrite(affected, level: 1) { id, columns in ids.contains(id) ? PointColumns() : columns }
        }
    }
}

/// What ``Store/link(_:into:)`` did with the old series' points.
public struct SeriesLinkReport: Sendable, Equatable {
    /// Points written into the new series.
    public var moved: Int
    /// Points of the old series at times the new one already had: the new series' points won, these are gone.
    public var superseded: Int
    /// Verdicts (feedback) moved with their points into the new series.
    public var verdictsMoved: Int

    public init(moved: Int, superseded: Int, verdictsMoved: Int = 0) {
        self.moved = moved
        self.superseded = superseded
        self.verdictsMoved = verdictsMoved
    }
}
