import TallySoda
import TallyStorage

/// A scan as `tally scans` lists it: the batch that wrote it and what the scan said about itself.
public struct ScanRecord: Sendable {
    /// The scan's id in this store: the LSN of the batch that wrote it.
    public var id: LSN
    public var definition: String?
    public var dataSource: String?
    public var dataTime: Int64?
    public var received: Int64
    public var source: String
    public var measurements: Int
    public var checks: Int
    public var failedChecks: Int
    public var warnedChecks: Int
    public var hasErrors: Bool
    public var contentHash: String?
}

extension Store {
    /// Validates a Soda Core scan document (a `soda scan -srf` results file or a Soda Cloud insert payload) and
    /// writes its metrics and check results as one batch, keeping the document (without its `token`) in the
    /// document log. Sending the same document again changes nothing.
    ///
    /// - Throws: ``StoreError/invalid(_:)`` naming the JSON path (and line and column) of the problem; nothing
    ///   is written then.
    @discardableResult
    public func ingestSoda(_ bytes: [UInt8], source: String) throws(StoreError) -> (scan: SodaScan, receipt: WriteReceipt) {
        let scan = try Store.parseSoda(bytes, source: source)
        return (scan, try ingestSoda(scan, source: source))
    }

    /// Validates a Soda Core scan document as ``ingestSoda(_:source:)`` does, without a store (so that a command
    /// can refuse a bad document before it opens, or creates, one).
    ///
    /// - Throws: ``StoreError/invalid(_:)`` naming the JSON path (and line and column) of the problem.
    public static func parseSoda(_ bytes: [UInt8], source: String) throws(StoreError) -> SodaScan {
        do throws(SodaError) {
            return try SodaScan.parse(bytes)
        } catch {
            throw .invalid(InputError(file: source, line: error.line, column: error.column,
                                      path: error.path.description, message: error.message))
        }
    }

    /// Writes a scan from ``parseSoda(_:source:)`` with its document; a scan stored before changes nothing.
    @discardableResult
    public func ingestSoda(_ scan: SodaScan, source: String) throws(StoreError) -> WriteReceipt {
        try write(scan.writeBatch(source: source), document: (kind: "soda/" + scan.kind.rawValue, bytes: scan.canonicalDocument))
    }

    /// The Soda scans in the store, oldest first, optionally only those whose data time is in a range.
    public func scans(dataTime range: TimeRange = .all) throws(StoreError) -> [ScanRecord] {
        try imports().filter { $0.origin.kind == "soda" }.compactMap { record in
            let o = record.origin
            let dataTime = o.detail("data_time").flatMap { TimeText.parse($0) }
            if let dataTime, !range.contains(dataTime) { return nil }
            return ScanRecord(
                id: record.lsn, definition: o.detail("definition"), dataSource: o.detail("datasource"),
                dataTime: dataTime, received: o.wallTime, source: o.source,
                measurements: Int(o.detail("measurements") ?? "") ?? 0, checks: Int(o.detail("checks") ?? "") ?? 0,
                failedChecks: Int(o.detail("failed_checks") ?? "") ?? 0,
                warnedChecks: Int(o.detail("warned_checks") ?? "") ?? 0,
                hasErrors: o.detail("has_errors") == "true", contentHash: o.detail(BatchOrigin.contentHashKey))
        }
    }
}
