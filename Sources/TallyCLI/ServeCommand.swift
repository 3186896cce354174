import ArgumentParser
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Tally
import TallyServer

extension TallyCommand {
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the store over HTTP: Tally's API and the Soda Cloud API for Soda Core (docs/http-api.md).",
            discussion: """
                Binds to 127.0.0.1:8080 unless told otherwise. Every endpoint but /healthz and /readyz needs an API \
                key: create one with `tally keys create --role write`.

                Point Soda Core at it in configuration.yml:
                  soda_cloud: {host: 127.0.0.1, port: 8080, scheme: http, api_key_id: ID, api_key_secret: SECRET}

                With --tls-cert and --tls-key it serves HTTPS (TLS 1.2 and 1.3) instead: use scheme: https, and \
                REQUESTS_CA_BUNDLE=FILE for soda-core when the certificate is not signed by a public authority.

                SIGINT or SIGTERM stops it gracefully: requests in flight finish, queued writes are committed, \
                and the store is closed. With HTTPS, SIGHUP reads --tls-cert and --tls-key again (after a renewal): \
                new connections get the new certificate, and a pair that does not work is logged and not used.
                """
        )

        @OptionGroup var location: StoreLocation
        @Option(help: "The address to bind (default: loopback only).") var host = "127.0.0.1"
        @Option(help: "The TCP port.") var port = 8080
        @Option(help: "The largest request body in bytes.") var maxBodyBytes = ServerLimits().maxBodyBytes
        @Option(help: "The longest query text in bytes.") var maxQueryBytes = ServerLimits().maxQueryBytes
        @Option(help: "The most series one query may match.") var maxQuerySeries = ServerLimits().query.maxSeries
        @Option(help: "The most points one query may read.") var maxQueryPoints = ServerLimits().query.maxPointsRead
        @Option(help: "How long a Soda login token stays valid, in seconds.") var tokenLifetime = 24 * 3600
        @Option(help: "How long a dashboard sign-in lasts, in seconds.") var sessionLifetime = 8 * 3600
        @Option(help: "Close a connection that sends nothing for this many seconds (idle, or stalled mid-request).")
        var idleTimeout = ServerLimits().idleTimeoutSeconds
        @Option(help: "After SIGTERM or SIGINT, give requests in flight this many seconds before cancelling them.")
        var shutdownGrace = ServerLimits().shutdownGraceSeconds
        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
        @Option(help: ArgumentHelp(
            "The organisation's check attributes, for soda-core: a JSON file.",
            discussion: "An array of {\"name\", \"type\", \"allowedValues\", \"label\"} objects, or Soda Cloud's own answer "
                + "to sodaCoreAvailableCheckAttributes. Without it soda-core skips checks that have attributes.",
            valueName: "file"))
        var checkAttributes: String?
        @Option(name: .customLong("tls-cert"), help: ArgumentHelp(
            "Serve HTTPS with this PEM certificate chain (the server's certificate first); needs --tls-key.",
            discussion: "`-` reads standard input; `--tls-cert - --tls-key -` reads one PEM bundle holding both.",
            valueName: "file"))
        var tlsCertificate: String?
        @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
        var tlsKey: String?

        func validate() throws {
            guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535") }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
            for (option, value) in [("--max-body-bytes", maxBodyBytes), ("--max-query-bytes", maxQueryBytes),
                                    ("--max-query-series", maxQuerySeries), ("--max-query-points", maxQueryPoints),
                                    ("--token-lifetime", tokenLifetime)] where value <= 0 {
                throw ValidationError("\(option) must be positive, not \(value)")
            }
            guard (tlsCertificate == nil) == (tlsKey == nil) else {
                throw ValidationError("--tls-cert and --tls-key go together: give both for HTTPS, or neither for plain HTTP")
            }
            guard sessionLifetime > 0 else { throw ValidationError("--session-lifetime must be positive (seconds)") }
            guard (1...86_400).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1...86400 seconds") }
            guard (0...3_600).contains(shutdownGrace) else { throw ValidationError("--shutdown-grace must be 0...3600 seconds") }
            // Ten years: longer lifetimes overflowed the expiry time (a trap at start or at the first login).
            let longest = 3650 * 86_400
            guard tokenLifetime <= longest else { throw ValidationError("--token-lifetime must be at most \(longest) seconds (ten years)") }
            guard sessionLifetime <= longest else {
                throw ValidationError("--session-lifetime must be at most \(longest) seconds (ten years)")
            }
        }

        func run() throws {
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "tally.serve")
            var tls: ServerTLS?
            var reload: (any DispatchSourceSignal)?
            if let tlsCertificate, let tlsKey {
                // An unreadable file exits 1, as every input does; one that holds no usable certificate or key, 2.
                try runReportingErrors {
                    do {
                        // `-` for both: one PEM bundle on standard input holds the chain and the key (it can be
                        // read only once).
                        let certificatePEM = try readPEM(tlsCertificate, option: "--tls-cert")
                        let keyPEM = tlsCertificate == "-" && tlsKey == "-"
                            ? certificatePEM : try readPEM(tlsKey, option: "--tls-key")
                        tls = try ServerTLS(certificatePEM: certificatePEM, privateKeyPEM: keyPEM,
                                            certificateSource: tlsCertificate, privateKeySource: tlsKey)
                    } catch let error as ServeError {
                        throw CLIFailure(message: error.message, code: 2)
                    }
                }
                if let tls { reload = reloadOnHangUp(tls, certificate: tlsCertificate, key: tlsKey, logger: logger) }
            } else if !["127.0.0.1", "localhost", "::1"].contains(host) {
                logger.warning("binding to \(host): the API is plain HTTP, so keys and data cross the network in clear text; serve HTTPS (--tls-cert, --tls-key) or put a TLS proxy in front of it")
            }
            let attributes: [SodaCheckAttributeDefinition]
            do {
                attributes = try checkAttributes.map { path in try SodaCheckAttributeDefinition.parseList(try readInput(path)) } ?? []
            } catch let error as SodaError {
                printError("tally: --check-attributes \(checkAttributes ?? ""): \(error)")
                throw ExitCode(2)
            } catch {
                printError("tally: --check-attributes \(checkAttributes ?? ""): \(error)")
                throw ExitCode(1)
            }
            var limits = ServerLimits()
            limits.maxBodyBytes = maxBodyBytes
            limits.maxQueryBytes = maxQueryBytes
            limits.query.maxSeries = maxQuerySeries
            limits.query.maxPointsRead = maxQueryPoints
            limits.idleTimeoutSeconds = idleTimeout
            limits.shutdownGraceSeconds = shutdownGrace
            var configuration = ServerConfiguration(host: host, port: port, storePath: location.path, limits: limits,
                                                    tokenLifetimeSeconds: tokenLifetime,
                                                    sessionLifetimeSeconds: sessionLifetime)
            configuration.checkAttributes = attributes
            configuration.tls = tls
            try runReportingErrors {
                let server = try TallyServer(configuration: configuration, logger: logger)
                let outcome = ServeFailure()
                let done = DispatchSemaphore(value: 0)
                Task {
                    do {
                        try await server.run()
                    } catch {
                        outcome.set(error)
                    }
                    done.signal()
                }
                done.wait()
                reload?.cancel()
                if let error = outcome.error { throw CLIFailure(message: "\(error)", code: 1) }
            }
        }
    }
}

/// A PEM file named by `option`; a file that cannot be read is a ``CLIFailure`` naming the option (exit 1).
private func readPEM(_ path: String, option: String) throws -> [UInt8] {
    do { return try readInput(path) } catch let failure as CLIFailure {
        throw CLIFailure(message: "\(option) \(failure.message)", code: failure.code)
    }
}

/// From now on, SIGHUP reads the certificate and key files again and gives the new pair to the handshakes that
/// follow (a renewed certificate without a restart). A pair that cannot be read or does not work is logged as an
/// error and the previous pair stays in use. Cancel the returned source to stop.
private func reloadOnHangUp(_ tls: ServerTLS, certificate: String, key: String,
                            logger: Logger) -> any DispatchSourceSignal {
    signal(SIGHUP, SIG_IGN)   // the dispatch source receives it instead of the default action (exit)
    let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "tally.serve.tls-reload"))
    source.setEventHandler {
        guard certificate != "-" && key != "-" else {
            logger.error("SIGHUP: the TLS certificate and key were read from standard input, which cannot be read again: restart the server to change them")
            return
        }
        do {
            try tls.replace(certificatePEM: try readPEM(certificate, option: "--tls-cert"),
                            privateKeyPEM: try readPEM(key, option: "--tls-key"))
            logger.notice("SIGHUP: reloaded the TLS certificate and key; new connections use them",
                          metadata: ["certificate": "\(certificate)", "key": "\(key)"])
        } catch {
            let reason = (error as? ServeError)?.message ?? (error as? CLIFailure)?.message ?? "\(error)"
            logger.error("SIGHUP: the TLS certificate and key were not reloaded, the previous ones stay in use: \(reason)")
        }
    }
    source.resume()
    return source
}

/// The error a background task ended with.
private final class ServeFailure: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var stored: (any Error)?

    func set(_ error: any Error) {
        lock.wait()
        stored = error
        lock.signal()
    }

    var error: (any Error)? {
        lock.wait()
        defer { lock.signal() }
        return stored
    }
}
