/// Which Soda document a scan was read from.
public enum SodaDocumentKind: String, Sendable, Hashable {
    /// The file written by `soda scan --scan-results-file/-srf` (no `type`).
    case scanResultsFile = "scan_results_file"
    /// The body soda-core POSTs to Soda Cloud `/api/command` (`"type": "sodaCoreInsertScanResults"`).
    case insertPayload = "insert_payload"
}

/// A Soda Core scan, read and validated: the neutral model the storage engine turns into series and
/// points.
///
/// Read one with ``parse(_:)-(Array<UInt8>)``. The API `token` of an insert payload is never part of
/// it: ``document`` is the token-stripped document and the hashes are computed from it.
public struct SodaScan: Sendable, Equatable {
    /// Which document this came from.
    public let kind: SodaDocumentKind
    /// `definitionName` (`-s`; the CLI default is `Soda Core CLI`), `nil` when `null`.
    public let definitionName: String?
    /// `defaultDataSource`.
    public let defaultDataSource: String?
    /// `dataTimestamp` (`-t`, default the scan start): the time of every point of the scan.
    public let dataTimestamp: SodaTimestamp
    /// `scanStartTimestamp` (wall clock).
    public let scanStartTimestamp: SodaTimestamp
    /// `scanEndTimestamp` (wall clock).
    public let scanEndTimestamp: SodaTimestamp
    /// `hasErrors` as Soda gives it (error logs were written).
    public let hasErrors: Bool
    /// `hasWarnings` as Soda gives it (a check warned).
    public let hasWarnings: Bool
    /// `hasFailures` as Soda gives it (a check failed).
    public let hasFailures: Bool
    /// `sourceOwner` (`soda-core`), when present.
    public let sourceOwner: String?
    /// One measurement per entry of `metrics`, in document order (Soda's order is arbitrary: it is a
    /// Python set).
    public let measurements: [SodaMeasurement]
    /// One check point per entry of `checks`, then one per entry of `automatedMonitoringChecks`.
    public let checks: [SodaCheckPoint]
    /// SHA-256 (hex) of the canonical form of the token-stripped document: the idempotency key.
    /// Same content with other key order, whitespace or string escaping gives the same hash; any other
    /// difference (including `10` vs `10.0`) gives another.
    public let contentHash: String
    /// SHA-256 (hex) of the canonical document without `token`, `type` and `logs`: equal for the
    /// `-srf` file and the insert payload of the same scan (they differ only in `type` and the last log
    /// lines), so a scan delivered both ways can be recognised.
    public let resultsHash: String
    /// The whole document without `token`, as parsed (numbers exact, member order kept).
    public let document: SodaJSON

    /// Creates a scan (use ``parse(_:)-(Array<UInt8>)`` to read one).
    public init(
        kind: SodaDocumentKind, definitionName: String?, defaultDataSource: String?, dataTimestamp: SodaTimestamp,
        scanStartTimestamp: SodaTimestamp, scanEndTimestamp: SodaTimestamp, hasErrors: Bool, hasWarnings: Bool,
        hasFailures: Bool, sourceOwner: String?, measurements: [SodaMeasurement], checks: [SodaCheckPoint],
        contentHash: String, resultsHash: String, document: SodaJSON
    ) {
        self.kind = kind
        self.definitionName = definitionName
        self.defaultDataSource = defaultDataSource
        self.dataTimestamp = dataTimestamp
        self.scanStartTimestamp = scanStartTimestamp
        self.scanEndTimestamp = scanEndTimestamp
        self.hasErrors = hasErrors
        self.hasWarnings = hasWarnings
        self.hasFailures = hasFailures
        self.sourceOwner = sourceOwner
        self.measurements = measurements
        self.checks = checks
        self.contentHash = contentHash
        self.resultsHash = resultsHash
        self.document = document
    }

    /// The time of every point of this scan: ``dataTimestamp`` in epoch milliseconds.
    public var timeMilliseconds: Int64 { dataTimestamp.epochMilliseconds }

    /// The canonical bytes of the token-stripped document (what ``contentHash`` hashes); the form to
    /// keep as the raw document.
    public var canonicalDocument: [UInt8] { document.canonicalBytes }

    /// The measurement with Soda metric identity `identity`.
    public func measurement(identity: String) -> SodaMeasurement? {
        measurements.first { $0.identity == identity }
    }

    /// The measurement a check evaluated (`metrics[0]`), when it is in this scan.
    public func measurement(for check: SodaCheckPoint) -> SodaMeasurement? {
        check.measurementIdentity.flatMap { measurement(identity: $0) }
    }

    /// The check points whose key or alias is `identity`.
    public func checks(identity: String) -> [SodaCheckPoint] {
        checks.filter { $0.allIdentities.contains(identity) }
    }
}
