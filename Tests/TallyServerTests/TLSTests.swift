import Foundation
import Logging
import Tally
import TallyTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import TallyServer

/// `tally serve --tls-cert --tls-key`: HTTPS with the given certificate, and clear errors for bad files.
@Suite("HTTPS")
struct TLSTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("tls").path
    static let certificate = directory + "/localhost-cert.pem"
    static let key = directory + "/localhost-key.pem"
    static let renewedCertificate = directory + "/renewed-cert.pem"
    static let renewedKey = directory + "/renewed-key.pem"

    /// A Python HTTPS client, as soda-core's `requests` checks certificates (chain and host name): arguments host,
    /// CA file ("" for the system's), port, and optionally a TLS version to pin. Prints `STATUS VERSION BODY`, or
    /// `ssl-error REASON`.
    static let client = """
        import http.client, ssl, sys, warnings
        context = ssl.create_default_context(cafile=sys.argv[2]) if sys.argv[2] else ssl.create_default_context()
        if len(sys.argv) > 4:
            warnings.simplefilter("ignore")
            version = getattr(ssl.TLSVersion, sys.argv[4])
            context.minimum_version = context.maximum_version = version
            context.set_ciphers("DEFAULT@SECLEVEL=0")   # lets the client offer TLS 1.1 at all
        connection = http.client.HTTPSConnection(sys.argv[1], int(sys.argv[3]), context=context, timeout=20)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            print(response.status, connection.sock.version(), response.read().decode())
        except ssl.SSLError as error:
            print("ssl-error", error.reason)
        """

    /// What ``client`` prints for `GET /healthz` on localhost:`port`, trusting only `authority`.
    static func fetch(port: Int, trusting authority: String, version: String? = nil) async throws -> String {
        let result = try await runProgram("/usr/bin/env", ["python3", "-c", client, "localhost", authority, "\(port)"]
                                          + (version.map { [$0] } ?? []))
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    /// The files read as `tally serve` reads them (an unreadable file is the CLI's error: ServeOptionsTests).
    static func tls(_ certificate: String, _ key: String) throws -> ServerTLS {
        try ServerTLS(certificatePEM: Array(try Data(contentsOf: URL(fileURLWithPath: certificate))),
                      privateKeyPEM: Array(try Data(contentsOf: URL(fileURLWithPath: key))),
                      certificateSource: certificate, privateKeySource: key)
    }

    /// Runs an in-process server with `tls` on a port the system picks, gives `body` the port, then stops it.
    static func serving(_ tls: ServerTLS, _ body: (Int) async throws -> Void) async throws {
        let work = TemporaryDirectory("tally-tls-test")
        var logger = Logger(label: "tally.test")
        logger.logLevel = .critical
        var configuration = ServerConfiguration(port: 0, storePath: work.child("store"))
        configuration.tls = tls
        let server = try TallyServer(configuration: configuration, logger: logger)
        let task = Task { try await server.run() }
        defer { task.cancel() }
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = server.listeningPort
            if port == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        try await body(try #require(port, "the server reported no port within 10 s"))
        task.cancel()
        _ = try? await task.value
    }

    @Test func certificateProblemsNameTheOptionAndTheFile() throws {
        #expect(throws: Never.self) { try Self.tls(Self.certificate, Self.key) }
        let cases: [(certificate: String, key: String, message: String)] = [
            (Self.directory + "/README.md", Self.key, "--tls-cert \(Self.directory)/README.md: no PEM certificate in it"),
            (Self.certificate, Self.certificate, "--tls-key \(Self.certificate): no PEM private key in it"),
            (Self.certificate, Self.directory + "/other-key.pem",
             "--tls-key \(Self.directory)/other-key.pem does not go with --tls-cert \(Self.certificate)"),
        ]
        for c in cases {
            let error = #expect(throws: ServeError.self) {
                try Self.tls(c.certificate, c.key)
            }
            #expect(error?.message.hasPrefix(c.message) == true, "\(error?.message ?? "no error") for \(c.message)")
        }
    }

    /// A client that trusts the certificate gets answers over HTTPS; one that does not refuses the connection, and
    /// plain HTTP on the same port gets no answer.
    @Test(.timeLimit(.minutes(2))) func servesHTTPSWithTheCertificate() async throws {
        try await Self.serving(try Self.tls(Self.certificate, Self.key)) { chosen in
            let trusted = try await Self.fetch(port: chosen, trusting: Self.certificate)
            #expect(trusted.hasPrefix("200 TLSv1."), "\(trusted)")
            let byAddress = try await runProgram("/usr/bin/env", ["python3", "-c", Self.client, "127.0.0.1", Self.certificate, "\(chosen)"])
            #expect(byAddress.stdout.hasPrefix("200 "), "\(byAddress.stdout) \(byAddress.stderr)")
            // TLS 1.2 is served; TLS 1.1 is refused by the server (a protocol-version alert, not a client limit).
            let tls12 = try await Self.fetch(port: chosen, trusting: Self.certificate, version: "TLSv1_2")
            #expect(tls12.hasPrefix("200 TLSv1.2 "), "\(tls12)")
            let tls11 = try await Self.fetch(port: chosen, trusting: Self.certificate, version: "TLSv1_1")
            #expect(tls11.hasPrefix("ssl-error TLSV1_ALERT_PROTOCOL_VERSION"), "\(tls11)")
            let untrusted = try await Self.fetch(port: chosen, trusting: "")
            #expect(untrusted.hasPrefix("ssl-error CERTIFICATE_VERIFY_FAILED"), "\(untrusted)")

            // Plain HTTP to the HTTPS port: the TLS handshake fails, so no HTTP answer comes back.
            let plain = try? await HTTP.send("GET", port: chosen, path: "/healthz", timeoutSeconds: 5)
            #expect(plain == nil, "plain HTTP got an answer: \(plain.map { "\($0.status)" } ?? "")")
        }
    }

    /// `ServerTLS.replace`: the handshakes after it use the new pair (a client that trusts only the new certificate
    /// gets answers, one that trusts only the old is refused); a pair that does not work is refused with the same
    /// messages as at start, and the pair served stays as it was.
    @Test(.timeLimit(.minutes(2))) func replacingThePairServesTheNewCertificate() async throws {
        let tls = try Self.tls(Self.certificate, Self.key)
        try await Self.serving(tls) { chosen in
            #expect(try await Self.fetch(port: chosen, trusting: Self.certificate).hasPrefix("200 "))
            #expect(try await Self.fetch(port: chosen, trusting: Self.renewedCertificate).hasPrefix("ssl-error CERTIFICATE_VERIFY_FAILED"))

            let read = { (path: String) in Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
            try tls.replace(certificatePEM: try read(Self.renewedCertificate), privateKeyPEM: try read(Self.renewedKey))
            #expect(try await Self.fetch(port: chosen, trusting: Self.renewedCertificate).hasPrefix("200 "))
            #expect(try await Self.fetch(port: chosen, trusting: Self.certificate).hasPrefix("ssl-error CERTIFICATE_VERIFY_FAILED"))

            // A key of another certificate, and text that is no certificate: refused, nothing changes.
            let mismatch = #expect(throws: ServeError.self) {
                try tls.replace(certificatePEM: try read(Self.certificate), privateKeyPEM: try read(Self.renewedKey))
            }
            #expect(mismatch?.message.hasPrefix("--tls-key \(Self.key) does not go with --tls-cert \(Self.certificate)") == true,
                    "\(mismatch?.message ?? "no error")")
            let cut = Array(try read(Self.renewedCertificate).prefix(300))
            let truncated = #expect(throws: ServeError.self) { try tls.replace(certificatePEM: cut, privateKeyPEM: try read(Self.renewedKey)) }
            #expect(truncated?.message.contains("incomplete or damaged") == true, "\(truncated?.message ?? "no error")")
            let garbage = #expect(throws: ServeError.self) {
                try tls.replace(certificatePEM: Array("not a certificate".utf8), privateKeyPEM: try read(Self.key))
            }
            #expect(garbage?.message.hasPrefix("--tls-cert \(Self.certificate): no PEM certificate in it") == true,
                    "\(garbage?.message ?? "no error")")
            #expect(try await Self.fetch(port: chosen, trusting: Self.renewedCertificate).hasPrefix("200 "))
        }
    }

    /// `tally serve` reloads its certificate files on SIGHUP: renewed files are served to new connections; files
    /// that do not work are logged as an error, the server keeps serving the pair it has, and it still stops
    /// cleanly.
    /// `--tls-cert - --tls-key -` reads one PEM bundle (chain and key) from standard input, once; SIGHUP says it
    /// cannot read it again and keeps serving.
    @Test(.timeLimit(.minutes(2))) func oneBundleOnStandardInputHoldsTheCertificateAndTheKey() async throws {
        let work = TemporaryDirectory("tally-tls-stdin")
        let bundle = try Array(Data(contentsOf: URL(fileURLWithPath: Self.certificate)))
            + Array(Data(contentsOf: URL(fileURLWithPath: Self.key)))
        let server = try await ServeProcess.start(storePath: work.child("store"), logPath: work.child("serve.log"),
                                                  extraArguments: ["--tls-cert", "-", "--tls-key", "-"], input: bundle)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        #expect(server.log.contains("listening on https://"), "\(server.log)")
        #expect(try await Self.fetch(port: server.port, trusting: Self.certificate).hasPrefix("200 "), "\(server.log)")
        kill(server.process.processIdentifier, SIGHUP)
        for _ in 0..<100 where !server.log.contains("cannot be read again") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(server.log.contains("cannot be read again"), "\(server.log)")
        #expect(try await Self.fetch(port: server.port, trusting: Self.certificate).hasPrefix("200 "))
        #expect(try await server.terminate() == 0)
    }

    @Test(.timeLimit(.minutes(3))) func sighupReloadsTheFiles() async throws {
        let work = TemporaryDirectory("tally-tls-sighup")
        let certificate = work.child("cert.pem"), key = work.child("key.pem")
        let files = FileManager.default
        try files.copyItem(atPath: Self.certificate, toPath: certificate)
        try files.copyItem(atPath: Self.key, toPath: key)
        let server = try await ServeProcess.start(storePath: work.child("store"), logPath: work.child("serve.log"),
                                                  extraArguments: ["--tls-cert", certificate, "--tls-key", key])
        let port = server.port
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        #expect(server.log.contains("listening on https://"), "\(server.log)")
        #expect(try await Self.fetch(port: port, trusting: Self.certificate).hasPrefix("200 "), "\(server.log)")

        func hangUpAndWait(for text: String, occurrence: Int) async throws {
            kill(server.process.processIdentifier, SIGHUP)
            for _ in 0..<100 where server.log.components(separatedBy: text).count - 1 < occurrence {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(server.log.components(separatedBy: text).count - 1 >= occurrence,
                    "no \(occurrence). \"\(text)\" within 10 s after SIGHUP:\n\(server.log)")
        }
        // Renewed files: the new certificate from the next connection on.
        try files.removeItem(atPath: certificate)
        try files.removeItem(atPath: key)
        try files.copyItem(atPath: Self.renewedCertificate, toPath: certificate)
        try files.copyItem(atPath: Self.renewedKey, toPath: key)
        try await hangUpAndWait(for: "reloaded the TLS certificate and key", occurrence: 1)
        #expect(server.process.isRunning)
        #expect(try await Self.fetch(port: port, trusting: Self.renewedCertificate).hasPrefix("200 "), "\(server.log)")

        // A key that does not match, then a missing key file: errors in the log, the renewed pair stays.
        try files.removeItem(atPath: key)
        try files.copyItem(atPath: Self.key, toPath: key)
        try await hangUpAndWait(for: "were not reloaded", occurrence: 1)
        #expect(server.log.contains("--tls-key \(key) does not go with --tls-cert \(certificate)"), "\(server.log)")
        try files.removeItem(atPath: key)
        try await hangUpAndWait(for: "were not reloaded", occurrence: 2)
        #expect(server.log.contains("--tls-key cannot read \(key)"), "\(server.log)")
        #expect(server.process.isRunning)
        #expect(try await Self.fetch(port: port, trusting: Self.renewedCertificate).hasPrefix("200 "), "\(server.log)")
        #expect(try await server.terminate() == 0, "\(server.log)")
    }
}
