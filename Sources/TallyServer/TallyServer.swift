import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import ServiceLifecycle
import UnixSignals
import Tally

/// `tally serve`: Tally's HTTP API and the Soda Cloud API over one store (docs/http-api.md).
///
/// ```swift
/// let server = try TallyServer(configuration: ServerConfiguration(storePath: "tally-data"))
/// try await server.run()          // until SIGINT or SIGTERM; then in-flight requests finish and the store closes
/// ```
///
/// The server owns the store for writing (it holds the store's lock). Every endpoint except `/healthz` and
/// `/readyz` needs an API key (``KeyManager``) or a token from the Soda `login` command, except the dashboard's
/// pages (`/`, `/dataset`, `/query`, …; Dashboard/DashboardRoutes.swift), which take a sign-in session cookie for
/// reads only. Writes from all clients go through one writer thread with group commit (``WriteQueue``).
public final class TallyServer: Sendable {
    public let configuration: ServerConfiguration
    let store: Store
    let sideTables: CatalogSideTables
    let keys: KeyManager
    let auth: Authenticator
    /// The dashboard's sign-in sessions.
    let sessions: DashboardSessions
    let writer: WriteQueue
    let history: SodaHistory
    let logger: Logger
    private let phase = Locked(Phase.created)
    /// The port the listener bound (set when the server starts listening).
    private let bound = Locked<Int?>(nil)
    /// The dashboard overview last computed, reused while the store has not changed (DashboardRoutes.swift).
    let overviewCache = Locked<DashboardPage.CachedOverview?>(nil)
    /// Merges the small segments that scan-by-scan flushes leave, while serving.
    private let compaction = Locked<BackgroundCompaction?>(nil)

    /// `draining`: a shutdown signal came; the listener closes and requests in flight finish. `stopping`: queued
    /// writes are committed and the store is closed.
    enum Phase: Sendable { case created, serving, draining, stopping, stopped }

    /// Opens (or creates) the store for writing.
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "tally.serve")) throws(StoreError) {
        self.configuration = configuration
        self.logger = logger
        store = try Store.open(at: configuration.storePath, options: configuration.storeOptions)
        if let cut = store.cutWALTail { logger.warning("\(cut)") }
        do throws(StoreError) {
            sideTables = try CatalogSideTables(storePath: configuration.storePath)
        } catch {
            try? store.close()
            throw error
        }
        keys = KeyManager(tables: sideTables)
        auth = Authenticator(keys: keys, tokenLifetimeMillis: lifetimeMillis(seconds: configuration.tokenLifetimeSeconds))
        sessions = DashboardSessions(keys: keys, lifetimeMillis: lifetimeMillis(seconds: configuration.sessionLifetimeSeconds))
        writer = WriteQueue(store: store, maxGroup: configuration.maxGroupCommit)
        history = SodaHistory(store: store, sideTables: sideTables)
    }

    /// Serves until SIGINT or SIGTERM (or until the calling task is cancelled), then shuts down: the listener
    /// closes, requests in flight finish, queued writes are committed, and the store is closed (its head
    /// flushed into segments, the WAL synced).
    public func run() async throws {
        let scheme = configuration.tls == nil ? "http" : "https"
        // A connection that sends nothing for this long (an idle keep-alive, or a client that stopped part-way
        // through its headers or body) is closed, so no client can hold a shutdown open.
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [BodyHandshakeHandler()],
                                               idleTimeout: .seconds(Int64(configuration.limits.idleTimeoutSeconds)))
        let server: HTTPServerBuilder
        if let tls = configuration.tls {
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls.configuration)
        } else {
            server = .http1(configuration: http1)
        }
        phase.withLock { $0 = .serving }
        writer.start()
        let logger = self.logger
        let background = store.startBackgroundCompaction(interval: configuration.compactionInterval,
                                                        minimumSegments: configuration.compactionMinimumSegments) { error in
            logger.error("background compaction failed: \(error)")
        }
        compaction.withLock { $0 = background }
        let host = configuration.host
        let bound = self.bound
        let app = Application(
            responder: HTTPEntry(server: self),
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: "tally"),
            onServerRunning: { channel in
                // With --port 0 the system picks the port: say which one.
                let port = channel.localAddress?.port ?? 0
                bound.withLock { $0 = port }
                logger.info("tally serve listening on \(scheme)://\(host):\(port)", metadata: ["port": "\(port)"])
            },
            logger: logger)
        logger.info("tally serve starting", metadata: ["store": "\(configuration.storePath)",
                                                       "address": "\(configuration.host):\(configuration.port)"])
        // SIGTERM or SIGINT starts a graceful shutdown. The services stop in reverse order: first the watcher, which
        // marks the server as stopping at once (`/readyz` answers 503 while requests in flight finish), then the
        // application, which closes the listener and waits for those requests at most
        // `limits.shutdownGraceSeconds` before cancelling them.
        let phase = self.phase
        let watcher = GracefulShutdownWatcher {
            phase.withLock { if $0 == .serving { $0 = .draining } }
            logger.info("tally serve stopping: no new connections; finishing the requests in flight")
        }
        var group = ServiceGroupConfiguration(
            services: [.init(service: app), .init(service: watcher, successTerminationBehavior: .ignore)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(configuration.limits.shutdownGraceSeconds)
        var failure: (any Error)?
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            if !(error is CancellationError) { failure = error }
        }
        try await shutdown()
        if let failure { throw ServeError(message: "cannot serve on \(configuration.host):\(configuration.port): \(failure)") }
    }

    /// Commits what is queued and closes the store. Called by ``run()``; safe to call twice.
    func shutdown() async throws {
        let already = phase.withLock { p -> Bool in
            defer { if p != .stopped { p = .stopping } }
            return p == .stopped || p == .stopping
        }
        if already { return }
        logger.info("tally serve stopping: committing queued writes")
        await writer.stopAsync()
        if let background = compaction.withLock({ $0 }) {
            try await runBlocking { background.stop() }
        }
        let store = self.store
        try await runBlocking { try store.close() }
        phase.withLock { $0 = .stopped }
        logger.info("tally serve stopped: store closed", metadata: ["store": "\(configuration.storePath)"])
    }

    var isReady: Bool { phase.withLock { $0 == .serving } }

    /// The TCP port the server listens on, once it listens (the system's choice when the configuration says 0).
    public var listeningPort: Int? { bound.withLock { $0 } }

    /// What an API path (or a probe) takes: its methods (the `Allow` of a 405; `HEAD` is answered as `GET`
    /// without the body) and, for Tally's own API, the query parameters it knows (nil: not checked).
    struct Endpoint {
        var allow: String
        var parameters: Set<String>?
    }

    /// Every path the API and the probes answer, scan documents (`/api/v1/scans/ID`) apart.
    static let endpoints: [String: Endpoint] = [
        "/healthz": Endpoint(allow: "GET, HEAD"), "/readyz": Endpoint(allow: "GET, HEAD"),
        "/api/command": Endpoint(allow: "POST"), "/api/query": Endpoint(allow: "POST"),
        "/api/v1/query": Endpoint(allow: "GET, HEAD, POST", parameters: ["q", "format", "now"]),
        "/api/v1/series": Endpoint(allow: "GET, HEAD", parameters: ["match"]),
        "/api/v1/scans": Endpoint(allow: "GET, HEAD", parameters: ["since", "until", "definition"]),
        "/api/v1/stats": Endpoint(allow: "GET, HEAD", parameters: []),
        "/api/v1/ingest": Endpoint(allow: "POST", parameters: ["name"]),
        "/api/v1/feedback": Endpoint(allow: "POST", parameters: []),
        "/api/v1/soda/feedback": Endpoint(allow: "POST", parameters: []),
    ]

    /// The endpoint of a path, scan documents included; nil for a path the API lacks.
    static func endpoint(of path: String) -> Endpoint? {
        endpoints[path] ?? (path.hasPrefix("/api/v1/scans/") ? Endpoint(allow: "GET, HEAD", parameters: []) : nil)
    }

    /// What the request line and headers alone decide, before the body is read, so that a client without a
    /// valid key (or with a read key, or the wrong body type, for ingest) cannot make the server read up to
    /// `--max-body-bytes` first: for every API path and the probes, a method the path does not take (405, as the
    /// docs list them, with or without a key); for `/api/v1/…`, then the credentials (the principal is kept in
    /// `request`); for `POST /api/v1/ingest`, the role and the Content-Type. Nil when the request goes on to
    /// ``route(_:)``.
    func preflight(_ request: inout APIRequest) -> APIResponse? {
        // Every API path and the probes: the one place a 405 is answered for them.
        let endpoint = TallyServer.endpoint(of: request.path)
        if let allow = endpoint?.allow,
           !allow.split(separator: ",").contains(where: { String($0).trimmingSpaces == request.method }) {
            return .notAllowed(request, allow: allow)
        }
        guard request.path.hasPrefix("/api/v1/") else { return nil }
        let principal: Principal
        switch authenticate(request) {
        case .success(let p): principal = p
        case .failure(let answer): return answer.response
        }
        request.principal = principal
        // A misspelt parameter (`?sinc=`, `&fmt=csv`) would otherwise be ignored, and the answer look right.
        if let known = endpoint?.parameters,
           let unknown = request.query.keys.sorted().first(where: { !known.contains($0) }) {
            let takes = known.isEmpty ? "takes no parameters" : "takes " + known.sorted().joined(separator: ", ")
            return .error(400, "unknown parameter \(unknown): \(request.path) \(takes)")
        }
        // Two values for one name (`?q=a&q=b`) would otherwise run the first one alone, and the answer look right.
        if let repeated = request.repeatedQueryNames.first {
            return .error(400, "parameter \(repeated) is given more than once: \(request.path) takes one value for each")
        }
        guard request.method == "POST" else { return nil }
        switch request.path {
        case "/api/v1/ingest":
            guard principal.role.allows(.write) else { return .forbidden("ingest") }
            guard let type = request.contentType, TallyServer.ingestTypes.contains(type) else {
                return TallyServer.unsupportedIngestType(request.contentType)
            }
        case "/api/v1/query":
            if request.contentType == "application/json" {
                return .error(415, "the body is the query itself, as text/plain (or send GET with ?q=QUERY); got application/json")
            }
        case "/api/v1/feedback", "/api/v1/soda/feedback":
            if let type = request.contentType, type != "application/json" {
                return .error(415, "Content-Type must be application/json; got \(type)")
            }
        default:
            break
        }
        return nil
    }

    /// A refused request (a credential, a parameter), as the answer to give.
    struct Refusal: Error {
        var response: APIResponse
    }

    /// The principal of the request's API key or token: 401 without one or for one that is not valid, 503 when
    /// the key catalog cannot be read.
    func authenticate(_ request: APIRequest) -> Result<Principal, Refusal> {
        if let principal = request.principal { return .success(principal) }
        guard let credential = request.credential else { return .failure(Refusal(response: .unauthorized)) }
        let checked: Principal?
        do { checked = try auth.principal(credential: credential) } catch {
            return .failure(Refusal(response: credentialsUnchecked(error)))
        }
        guard let checked else { return .failure(Refusal(response: .unauthorized)) }
        return .success(checked)
    }

    /// Routes one request (the body already read; `HEAD` arrives as `GET`).
    func route(_ request: APIRequest) async -> APIResponse {
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/healthz"):
            return .json(200, "{\"status\": \"ok\"}")
        case ("GET", "/readyz"):
            return isReady ? .json(200, "{\"status\": \"ready\"}") : .error(503, "not ready: the server is starting or stopping")
        case (_, "/api/command"), (_, "/api/query"):
            return await sodaCloud(request)
        default:
            break
        }
        if !path.hasPrefix("/api/"), let page = await dashboard(request) { return page }
        guard path.hasPrefix("/api/v1/") else { return .error(404, "no such endpoint: \(request.method) \(path)") }
        let principal: Principal
        switch authenticate(request) {
        case .success(let p): principal = p
        case .failure(let answer): return answer.response
        }
        switch (request.method, path) {
        case ("GET", "/api/v1/query"), ("POST", "/api/v1/query"):
            return await query(request)
        case ("GET", "/api/v1/series"):
            return await series(request)
        case ("POST", "/api/v1/ingest"):
            return await ingest(request, principal: principal)
        case ("GET", "/api/v1/scans"):
            return await scans(request)
        case ("GET", "/api/v1/stats"):
            return await stats()
        case ("POST", "/api/v1/feedback"):
            return await feedback(request, principal: principal)
        case ("POST", "/api/v1/soda/feedback"):
            return await sodaFeedback(request, principal: principal)
        case ("GET", _) where path.hasPrefix("/api/v1/scans/"):
            return await scanDocument(String(path.dropFirst("/api/v1/scans/".count)))
        default:
            // A method a known path does not take was answered by `preflight`.
            return .error(404, "no such endpoint: \(request.method) \(path)")
        }
    }
}

/// The server could not run (e.g. the port is taken).
public struct ServeError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The Hummingbird responder: reads the body within the limit, then hands the request to ``TallyServer/route(_:)``.
struct HTTPEntry: HTTPResponder {
    typealias Context = ConnectionRequestContext
    let server: TallyServer

    func respond(to request: Request, context: ConnectionRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        // HEAD is GET without the body in the answer.
        let isHead = request.method == .head
        let parameters = parseQueryParameters(request.uri.query)
        var api = APIRequest(method: isHead ? "GET" : request.method.rawValue, path: request.uri.path,
                             query: parameters.values)
        api.repeatedQueryNames = parameters.repeated
        let headers = request.headers
        // HTTP types keep `Host` as the request's authority, not among the header fields.
        if let authority = request.head.authority { api.headers["host"] = authority }
        for field in headers {
            let name = field.name.canonicalName
            if let earlier = api.headers[name] {
                api.headers[name] = earlier + (name == "cookie" ? "; " : ", ") + field.value
            } else {
                api.headers[name] = field.value
            }
        }
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                api.credential = String(parts[1]).trimmingSpaces
            } else {
                api.credential = ""
            }
        } else if let key = headers[.init("X-API-Key")!] {
            api.credential = key.trimmingSpaces
        }
        if let type = headers[.contentType] {
            api.contentType = type.split(separator: ";").first.map { String($0).trimmingSpaces.lowercased() }
        }
        let limit = server.configuration.limits.maxBodyBytes
        var response: APIResponse? = server.preflight(&api)
        let hasBody = request.method == .post || request.method == .put
        if response == nil, hasBody, let encoding = headers[.contentEncoding]?.trimmingSpaces.lowercased(), encoding != "identity" {
            // A compressed body would be read as CSV or JSON and fail with a confusing position.
            response = .error(415, "Content-Encoding \(encoding) is not supported: send the body uncompressed")
        }
        if response != nil {
            // Answered from the headers: the body is not read.
        } else if let length = headers[.contentLength].flatMap({ Int($0) }), length > limit {
            response = .tooLarge("the request body is \(length) bytes; the limit is \(limit)")
        } else if hasBody {
            // Only a client that asked waits for it: the others do not pay the handler lookup.
            if headers[.expect]?.lowercased() == "100-continue" { context.continueIfExpected() }
            var body: [UInt8] = []
            for try await chunk in request.body {
                if body.count + chunk.readableBytes > limit {
                    response = .tooLarge("the request body is larger than the limit of \(limit) bytes")
                    break
                }
                body.append(contentsOf: chunk.readableBytesView)
            }
            api.body = body
        }
        let answer: APIResponse
        if let response {
            answer = response
        } else {
            answer = await server.route(api)
        }
        let elapsed = ContinuousClock.now - started
        server.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(api.path)", "status": "\(answer.status)",
            "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
        var fields = HTTPFields()
        fields[.contentType] = answer.contentType
        for (name, value) in answer.headers {
            fields.append(.init(name: .init(name)!, value: value))
        }
        // An answer given without reading an announced body (from the headers, or 413) closes the connection: the
        // client may not send the body (it waited for 100 Continue) or may still be sending it.
        let announcedBody = headers[.contentLength].flatMap { Int($0) }.map { $0 > 0 } ?? (headers[.transferEncoding] != nil)
        if answer.status == 413 || (response != nil && announcedBody) { fields[.connection] = "close" }
        var buffer = ByteBuffer()
        if isHead {
            // The length the GET answer has, without its body (RFC 9110 §9.3.2).
            fields[.contentLength] = String(answer.body.count)
        } else {
            buffer.writeBytes(answer.body)
        }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields,
                        body: ResponseBody(byteBuffer: buffer))
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}

/// A service that does nothing until the service group begins a graceful shutdown, then calls `onShutdown`.
/// Listed after the application, it is told first.
struct GracefulShutdownWatcher: Service {
    let onShutdown: @Sendable () -> Void

    func run() async throws {
        do {
            try await gracefulShutdown()
            onShutdown()
        } catch {
            // Cancelled (the server's task was cancelled): nothing to announce.
        }
    }
}
