import Tally

/// Limits of what one request may ask of the server.
public struct ServerLimits: Sendable, Equatable {
    /// The largest request body (Soda scan documents, CSV files). Larger bodies get 413.
    public var maxBodyBytes: Int
    /// The longest query text (`q`). Longer ones get 413.
    public var maxQueryBytes: Int
    /// What one query may read and make; exceeding it gets 413 with the query error.
    public var query: QueryLimits
    /// The most series `GET /api/v1/series` lists; more get 413.
    public var maxSeriesListed: Int
    /// The most rows one Soda history answer carries (a larger `limit`, or none, is cut to this).
    public var maxHistoryRows: Int
    /// A connection that sends nothing for this many seconds is closed: an idle keep-alive, or a client that
    /// stopped part-way through its headers or body.
    public var idleTimeoutSeconds: Int
    /// After SIGTERM or SIGINT, requests in flight get this many seconds to finish before they are cancelled
    /// (then queued writes are committed and the store closed, whatever happened).
    public var shutdownGraceSeconds: Int

    public init(maxBodyBytes: Int = 64 << 20, maxQueryBytes: Int = 16 << 10,
                query: QueryLimits = QueryLimits(maxSeries: 10_000, maxPointsRead: 20_000_000, maxFilledPoints: 1_000_000),
                maxSeriesListed: Int = 100_000, maxHistoryRows: Int = 10_000, idleTimeoutSeconds: Int = 60,
                shutdownGraceSeconds: Int = 30) {
        self.maxBodyBytes = maxBodyBytes
        self.maxQueryBytes = maxQueryBytes
        self.query = query
        self.maxSeriesListed = maxSeriesListed
        self.maxHistoryRows = maxHistoryRows
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.shutdownGraceSeconds = shutdownGraceSeconds
    }
}

/// How `tally serve` runs.
public struct ServerConfiguration: Sendable {
    /// The address to bind: loopback unless told otherwise.
    public var host: String
    public var port: Int
    /// The store directory (created when missing).
    public var storePath: String
    public var limits: ServerLimits
    /// How long a token from the Soda `login` command stays valid.
    public var tokenLifetimeSeconds: Int
    /// How long a dashboard sign-in session lasts.
    public var sessionLifetimeSeconds: Int
    /// The most batches one group commit (one WAL sync) takes.
    public var maxGroupCommit: Int
    /// The Soda Cloud configuration answer: true keeps soda-core from sending failed-row samples, which Tally
    /// does not store.
    public var disableCollectingWarehouseData: Bool
    /// The check attributes soda-core may use (`sodaCoreAvailableCheckAttributes`); empty by default.
    public var checkAttributes: [SodaCheckAttributeDefinition]
    /// Store options (flush threshold).
    public var storeOptions: StoreOptions
    /// HTTPS: the certificate and key to answer with; nil serves plain HTTP.
    public var tls: ServerTLS?
    /// Background compaction: how often to look (seconds), and how many new segments make it compact.
    public var compactionInterval: Double = 60
    public var compactionMinimumSegments: Int = 8

    public init(host: String = "127.0.0.1", port: Int = 8080, storePath: String, limits: ServerLimits = ServerLimits(),
                tokenLifetimeSeconds: Int = 24 * 3600, maxGroupCommit: Int = 1024,
                disableCollectingWarehouseData: Bool = true, checkAttributes: [SodaCheckAttributeDefinition] = [],
                storeOptions: StoreOptions = StoreOptions(), sessionLifetimeSeconds: Int = 8 * 3600,
                tls: ServerTLS? = nil) {
        self.host = host
        self.port = port
        self.storePath = storePath
        self.limits = limits
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.sessionLifetimeSeconds = sessionLifetimeSeconds
        self.maxGroupCommit = maxGroupCommit
        self.disableCollectingWarehouseData = disableCollectingWarehouseData
        self.checkAttributes = checkAttributes
        self.storeOptions = storeOptions
        self.tls = tls
    }
}
