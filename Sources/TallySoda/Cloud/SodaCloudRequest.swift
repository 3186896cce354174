import TallyStorage

/// A request soda-core sends to the Soda Cloud API, typed and validated.
///
/// soda-core POSTs JSON bodies to `/api/command` (`login`, `sodaCoreInsertScanResults`) and
/// `/api/query` (everything else); every body but `login` carries the API `token`. Read one with
/// ``parse(path:body:)``.
///
/// The `token` is kept in ``token`` for authentication only: it is not part of ``body`` (an insert's
/// ``SodaScan`` never has it) and ``description`` never prints it or the login secret.
public struct SodaCloudRequest: Sendable, Equatable, CustomStringConvertible {
    /// The two API endpoints.
    public enum Endpoint: String, Sendable, CaseIterable {
        /// `/api/command`: `login`, `sodaCoreInsertScanResults`.
        case command = "/api/command"
        /// `/api/query`: configuration, attributes, identities and history queries.
        case query = "/api/query"
    }

    /// The typed body.
    public enum Body: Sendable, Equatable {
        /// `{"type": "login", "apiKeyId": .., "apiKeySecret": ..}` → ``SodaCloudResponse/login(token:)``.
        case login(SodaLoginRequest)
        /// `sodaCoreInsertScanResults`: a whole scan (token removed) → ``SodaCloudResponse/insertScanResults()``.
        case insertScanResults(SodaScan)
        /// `{"type": "sodaCoreCloudConfiguration"}` → ``SodaCloudResponse/cloudConfiguration(disableCollectingWarehouseData:)``.
        case cloudConfiguration
        /// `{"type": "sodaCoreAvailableCheckAttributes"}` → ``SodaCloudResponse/availableCheckAttributes(_:)``.
        case availableCheckAttributes
        /// `{"type": "sodaCoreCheckIdentities", "checkId": ..}` → ``SodaCloudResponse/checkIdentities(stored:)``.
        case checkIdentities(checkId: String)
        /// `sodaCoreHistoricMeasurements` (3.x) → ``SodaCloudResponse/historicMeasurements(_:for:)``.
        case historicMeasurements(SodaHistoricMeasurementsQuery)
        /// `sodaCoreHistoricCheckResults` (3.x) → ``SodaCloudResponse/historicCheckResults(_:for:)``.
        case historicCheckResults(SodaHistoricCheckResultsQuery)
        /// `sodaCoreHistoricMeasurements2` (4.x) → ``SodaCloudResponse/historicMeasurements(_:for:)-(_,SodaHistoricBatchQuery)``.
        case historicMeasurements2(SodaHistoricBatchQuery)
        /// `sodaCoreHistoricCheckResults2` (4.x) → ``SodaCloudResponse/historicCheckResults(_:for:)-(_,SodaHistoricBatchQuery)``.
        case historicCheckResults2(SodaHistoricBatchQuery)

        /// The request `type`.
        public var type: String {
            switch self {
            case .login: return "login"
            case .insertScanResults: return "sodaCoreInsertScanResults"
            case .cloudConfiguration: return "sodaCoreCloudConfiguration"
            case .availableCheckAttributes: return "sodaCoreAvailableCheckAttributes"
            case .checkIdentities: return "sodaCoreCheckIdentities"
            case .historicMeasurements: return "sodaCoreHistoricMeasurements"
            case .historicCheckResults: return "sodaCoreHistoricCheckResults"
            case .historicMeasurements2: return "sodaCoreHistoricMeasurements2"
            case .historicCheckResults2: return "sodaCoreHistoricCheckResults2"
            }
        }

        /// The endpoint soda-core sends this body to.
        public var endpoint: Endpoint {
            switch self {
            case .login, .insertScanResults: return .command
            default: return .query
            }
        }
    }

    /// The endpoint the request came to (`nil` when unknown).
    public let endpoint: Endpoint?
    /// The API token of the body (`nil` for `login` or when absent). Use it to authenticate, never store it.
    public let token: String?
    /// The typed body.
    public let body: Body

    /// Creates a request.
    public init(endpoint: Endpoint?, token: String?, body: Body) {
        self.endpoint = endpoint
        self.token = token
        self.body = body
    }

    /// The request type.
    public var type: String { body.type }

    /// `"<type> <endpoint>"`: no token, no secret.
    public var description: String {
        "\(body.type) \(endpoint?.rawValue ?? body.endpoint.rawValue)"
    }

    /// Equal when endpoint, token and body are equal.
    public static func == (lhs: SodaCloudRequest, rhs: SodaCloudRequest) -> Bool {
        lhs.endpoint == rhs.endpoint && lhs.token == rhs.token && lhs.body == rhs.body
    }

    /// Reads a request body.
    ///
    /// - Parameters:
    ///   - path: the URL path it was POSTed to (`/api/command`, `/api/query`, or a URL ending in one of
    ///     them); `nil` skips the endpoint check.
    ///   - body: the JSON body bytes.
    /// - Throws: ``SodaError``: syntax errors with line and column; a wrong endpoint, a missing or
    ///   mistyped field with its JSON path; `.unsupported` for an unknown `type`.
    public static func parse(path: String?, body: [UInt8]) throws(SodaError) -> SodaCloudRequest {
        try parse(path: path, json: try SodaJSONParser.parse(body), body: body)
    }

    /// Reads a request body already parsed from `body`: errors get the line and column of their JSON path in it.
    public static func parse(path: String?, json: SodaJSON, body: [UInt8]) throws(SodaError) -> SodaCloudRequest {
        do {
            return try parse(path: path, json: json)
        } catch {
            if error.line == nil, let position = SodaJSONParser.position(of: error.path, in: body) {
                throw error.located(line: position.line, column: position.column)
            }
            throw error
        }
    }

    /// What a server checks before it reads the rest of a body: its `type` and its token (`nil` when either is
    /// missing or not a string), so that only a client that may use the API learns what is wrong with the rest.
    public static func credentials(of json: SodaJSON) -> (type: String?, token: String?) {
        (json["type"]?.stringValue, json[SodaDocument.tokenKey]?.stringValue)
    }

    /// Reads an already parsed request body.
    public static func parse(path: String?, json: SodaJSON) throws(SodaError) -> SodaCloudRequest {
        let root = try SodaObjectReader(json, at: .root)
        let type = try root.string("type")
        let token = try root.optionalString(SodaDocument.tokenKey)
        var endpoint: Endpoint?
        if let path {
            guard let e = Endpoint.allCases.first(where: { path == $0.rawValue || path.hasSuffix($0.rawValue) }) else {
                throw SodaError.invalid(.root, "unknown endpoint \(SodaJSON.string(path).shortDescription); expected /api/command or /api/query")
            }
            endpoint = e
        }
        let body: Body
        switch type {
        case "login":
            body = .login(SodaLoginRequest(apiKeyId: try root.string("apiKeyId"), apiKeySecret: try root.string("apiKeySecret")))
        case "sodaCoreInsertScanResults":
            body = .insertScanResults(try SodaScan.parse(json))
        case "sodaCoreCloudConfiguration":
            body = .cloudConfiguration
        case "sodaCoreAvailableCheckAttributes":
            body = .availableCheckAttributes
        case "sodaCoreCheckIdentities":
            body = .checkIdentities(checkId: try root.string("checkId"))
        case "sodaCoreHistoricMeasurements":
            body = .historicMeasurements(try SodaHistoricMeasurementsQuery(root))
        case "sodaCoreHistoricCheckResults":
            body = .historicCheckResults(try SodaHistoricCheckResultsQuery(root))
        case "sodaCoreHistoricMeasurements2":
            body = .historicMeasurements2(try SodaHistoricBatchQuery(root, identitiesKey: "metricIdentities"))
        case "sodaCoreHistoricCheckResults2":
            body = .historicCheckResults2(try SodaHistoricBatchQuery(root, identitiesKey: "checkIdentities"))
        default:
            throw SodaError(
                kind: .unsupported, path: root.path.appending("type"),
                message: "unsupported request type \(SodaJSON.string(type).shortDescription)")
        }
        if let endpoint, endpoint != body.endpoint {
            throw SodaError.invalid(
                root.path.appending("type"),
                "\(SodaJSON.string(type).shortDescription) must be sent to \(body.endpoint.rawValue), not \(endpoint.rawValue)")
        }
        return SodaCloudRequest(endpoint: endpoint, token: type == "login" ? nil : token, body: body)
    }
}

/// The body of a `login` command. Its ``description`` hides the secret.
public struct SodaLoginRequest: Sendable, Equatable, CustomStringConvertible {
    /// `apiKeyId`.
    public let apiKeyId: String
    /// `apiKeySecret` (a credential: check it, never store or log it).
    public let apiKeySecret: String

    /// Creates a login body.
    public init(apiKeyId: String, apiKeySecret: String) {
        self.apiKeyId = apiKeyId
        self.apiKeySecret = apiKeySecret
    }

    /// `login(apiKeyId: <id>, apiKeySecret: <redacted>)`.
    public var description: String { "login(apiKeyId: \(apiKeyId), apiKeySecret: <redacted>)" }
}

/// `sodaCoreHistoricMeasurements` (soda-core 3.x): measurements of one metric identity.
///
/// Anomaly checks send `limit: 1000`; change-over-time and schema/group evolution send no limit
/// and use `results[0]` as "the previous value"; `same day last week` adds a `measurement.dataTime`
/// range.
public struct SodaHistoricMeasurementsQuery: Sendable, Equatable {
    /// The `metric.identity` asked for.
    public let metricIdentity: String
    /// `limit`, when given.
    public let limit: Int?
    /// Lower bound on `measurement.dataTime`.
    public let from: SodaTimeBound?
    /// Upper bound on `measurement.dataTime`.
    public let to: SodaTimeBound?
    /// The filter as sent.
    public let filter: SodaCloudFilter

    /// Creates a query.
    public init(metricIdentity: String, limit: Int? = nil, from: SodaTimeBound? = nil, to: SodaTimeBound? = nil) {
        self.metricIdentity = metricIdentity
        self.limit = limit
        self.from = from
        self.to = to
        var expressions: [SodaCloudFilter] = [
            .comparison(SodaCloudComparison(op: .equals, column: "metric.identity", operand: .string(metricIdentity))),
        ]
        if let from {
            expressions.append(.comparison(SodaCloudComparison(
                op: from.inclusive ? .greaterThanOrEqual : .greaterThan, column: "measurement.dataTime",
                operand: .time(from.time, scanTime: false))))
        }
        if let to {
            expressions.append(.comparison(SodaCloudComparison(
                op: to.inclusive ? .lessThanOrEqual : .lessThan, column: "measurement.dataTime",
                operand: .time(to.time, scanTime: false))))
        }
        self.filter = .and(expressions)
    }

    init(_ root: SodaObjectReader) throws(SodaError) {
        let limit = try historyLimit(root)
        let filterPath = root.path.appending("filter")
        let filter = try SodaCloudFilter.parse(try root.required("filter", "a filter object"), at: filterPath)
        var identity: String?
        var from: SodaTimeBound?
        var to: SodaTimeBound?
        for (comparison, path) in indexedComparisons(filter, at: filterPath) {
            switch (comparison.column, comparison.op, comparison.operand) {
            case let ("metric.identity", .equals, .string(value)):
                if identity != nil {
                    throw SodaError(kind: .unsupported, path: path, message: "more than one metric.identity comparison")
                }
                identity = value
            case let ("measurement.dataTime", op, .time(time, _)) where op != .equals:
                let bound = SodaTimeBound(time: time, inclusive: op == .greaterThanOrEqual || op == .lessThanOrEqual)
                // Several bounds on one side: the tightest holds (at the same time, the exclusive one).
                if op == .greaterThan || op == .greaterThanOrEqual {
                    if let old = from, old.time > bound.time || (old.time == bound.time && !old.inclusive) { break }
                    from = bound
                } else {
                    if let old = to, old.time < bound.time || (old.time == bound.time && !old.inclusive) { break }
                    to = bound
                }
            case ("metric.identity", .equals, let operand):
                throw SodaError(kind: .unsupported, path: path,
                                message: "metric.identity is compared with \(operand.kindText); expected a string")
            case ("measurement.dataTime", _, _):   // a time bound is the case above
                throw SodaError(kind: .unsupported, path: path,
                                message: "measurement.dataTime takes a bound (greaterThan, lessThan, … with a time), not \(comparison.op.rawValue) with \(comparison.operand.kindText)")
            default:
                throw SodaError(
                    kind: .unsupported, path: path,
                    message: "unsupported comparison \(comparison.op.rawValue) on \(SodaJSON.string(comparison.column).shortDescription); expected equals on metric.identity or a time bound on measurement.dataTime")
            }
        }
        guard let identity else {
            throw SodaError.invalid(filterPath, "no equals comparison on metric.identity")
        }
        self.metricIdentity = identity
        self.limit = limit
        self.from = from
        self.to = to
        self.filter = filter
    }

    /// Whether a measurement at `time` is inside the query's time range.
    public func admits(_ time: SodaTimestamp) -> Bool {
        if let from, from.inclusive ? time < from.time : time <= from.time { return false }
        if let to, to.inclusive ? time > to.time : time >= to.time { return false }
        return true
    }
}

/// `sodaCoreHistoricCheckResults` (soda-core 3.x): results of one check, asked by the identity the
/// check computes itself (anomaly checks use `v1`), with `limit: 1000`.
public struct SodaHistoricCheckResultsQuery: Sendable, Equatable {
    /// The `check.identity` asked for (any identity version of the check must match).
    public let checkIdentity: String
    /// `limit`, when given.
    public let limit: Int?
    /// The filter as sent.
    public let filter: SodaCloudFilter

    /// Creates a query.
    public init(checkIdentity: String, limit: Int? = nil) {
        self.checkIdentity = checkIdentity
        self.limit = limit
        self.filter = .and([.comparison(SodaCloudComparison(op: .equals, column: "check.identity", operand: .string(checkIdentity)))])
    }

    init(_ root: SodaObjectReader) throws(SodaError) {
        let limit = try historyLimit(root)
        let filterPath = root.path.appending("filter")
        let filter = try SodaCloudFilter.parse(try root.required("filter", "a filter object"), at: filterPath)
        var identity: String?
        for (comparison, path) in indexedComparisons(filter, at: filterPath) {
            guard comparison.column == "check.identity", comparison.op == .equals else {
                throw SodaError(
                    kind: .unsupported, path: path,
                    message: "unsupported comparison \(comparison.op.rawValue) on \(SodaJSON.string(comparison.column).shortDescription); expected one equals on check.identity")
            }
            guard case let .string(value) = comparison.operand else {
                throw SodaError(kind: .unsupported, path: path,
                                message: "check.identity is compared with \(comparison.operand.kindText); expected a string")
            }
            guard identity == nil else {
                throw SodaError(kind: .unsupported, path: path, message: "more than one check.identity comparison")
            }
            identity = value
        }
        guard let identity else { throw SodaError.invalid(filterPath, "no equals comparison on check.identity") }
        self.checkIdentity = identity
        self.limit = limit
        self.filter = filter
    }
}

/// `sodaCoreHistoricMeasurements2` / `sodaCoreHistoricCheckResults2` (soda-core 4.x): up to 500
/// identities per request, and either a scan-time range or a limit.
public struct SodaHistoricBatchQuery: Sendable, Equatable {
    /// What part of the history is asked for.
    public enum Selection: Sendable, Equatable {
        /// `limit`: the newest `n` results.
        case limit(Int)
        /// `minScanTime` ... `maxScanTime` (both inclusive).
        case scanTimeRange(min: SodaTimestamp, max: SodaTimestamp)
    }

    /// The most identities soda-core puts in one request.
    public static let maximumIdentities = 500

    /// `metricIdentities` or `checkIdentities`.
    public let identities: [String]
    /// The selection.
    public let selection: Selection

    /// Creates a query.
    public init(identities: [String], selection: Selection) {
        self.identities = identities
        self.selection = selection
    }

    init(_ root: SodaObjectReader, identitiesKey: String) throws(SodaError) {
        var identities: [String] = []
        let values = try root.array(identitiesKey)
        for (i, value) in values.enumerated() {
            guard case let .string(s) = value else {
                throw SodaError.expected("an identity string", at: root.path.appending(identitiesKey).appending(i), found: value)
            }
            identities.append(s)
        }
        guard !identities.isEmpty else { throw SodaError.invalid(root.path.appending(identitiesKey), "expected at least one identity") }
        guard identities.count <= SodaHistoricBatchQuery.maximumIdentities else {
            throw SodaError.invalid(
                root.path.appending(identitiesKey),
                "expected at most \(SodaHistoricBatchQuery.maximumIdentities) identities; found \(identities.count)")
        }
        let limit = try historyLimit(root)
        let hasRange = root.contains("minScanTime") || root.contains("maxScanTime")
        if let limit {
            guard !hasRange else {
                throw SodaError.invalid(root.path.appending("limit"), "expected either limit or minScanTime/maxScanTime, not both")
            }
            self.selection = .limit(limit)
        } else {
            guard hasRange else {
                throw SodaError.invalid(root.path, "expected either limit or minScanTime and maxScanTime")
            }
            let min = try root.timestamp("minScanTime")
            let max = try root.timestamp("maxScanTime")
            // A range asked for, as `since` and `until` are: the wrong way round, it is refused (at the times in
            // whole milliseconds, as the store holds them), in the same words.
            do throws(ReversedTimeRangeError) {
                _ = try TimeRange(checkedFrom: min.epochMilliseconds, to: max.epochMilliseconds)
            } catch {
                throw SodaError.invalid(root.path.appending("minScanTime"), error.message(start: "minScanTime", end: "maxScanTime"))
            }
            self.selection = .scanTimeRange(min: min, max: max)
        }
        self.identities = identities
    }
}

/// `limit`: absent/null → nil; otherwise a positive integer.
private func historyLimit(_ root: SodaObjectReader) throws(SodaError) -> Int? {
    guard let limit = try root.optionalInt("limit") else { return nil }
    guard limit > 0 else { throw SodaError.expected("a positive integer", at: root.path.appending("limit"), found: root["limit"]) }
    return limit
}

/// The comparisons of a filter with their JSON paths (only `and` of comparisons is produced by soda-core).
private func indexedComparisons(_ filter: SodaCloudFilter, at path: SodaJSONPath) -> [(SodaCloudComparison, SodaJSONPath)] {
    switch filter {
    case let .comparison(c): return [(c, path)]
    case let .and(children):
        return children.enumerated().flatMap { i, child in
            indexedComparisons(child, at: path.appending("andExpressions").appending(i))
        }
    }
}
