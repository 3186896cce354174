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

    /// The files read as `tally serve` reads them (an unreadable file is the CLI's error: ServeOptionsTests).
    static func tls(_ certificate: String, _ key: String) throws -> ServerTLS {
        try ServerTLS(certificatePEM: Array(try Data(contentsOf: URL(fileURLWithPath: certificate))),
                      privateKeyPEM: Array(try Data(contentsOf: URL(fileURLWithPath: key))),
                      certificateSource: certificate, privateKeySource: key)
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
        let work = TemporaryDirectory("tally-tls-test")
        var logger = Logger(label: "tally.test")
        logger.logLevel = .critical
        var configuration = ServerConfiguration(port: 0, storePath: work.child("store"))
        configuration.tls = try Self.tls(Self.certificate, Self.key)
        let server = try TallyServer(configuration: configuration, logger: logger)
        let task = Task { try await server.run() }
        defer { task.cancel() }
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = server.listeningPort
            if port == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let chosen = try #require(port, "the server reported no port within 10 s")

        // Python's ssl module checks the chain and the host name, as soda-core's `requests` does. A fourth argument
        // pins the client to one TLS version.
        let client = """
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
        let trusted = try await runProgram("/usr/bin/env", ["python3", "-c", client, "localhost", Self.certificate, "\(chosen)"])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(trusted.stdout.hasPrefix("200 TLSv1."), "\(trusted.stdout)")
        let byAddress = try await runProgram("/usr/bin/env", ["python3", "-c", client, "127.0.0.1", Self.certificate, "\(chosen)"])
        #expect(byAddress.stdout.hasPrefix("200 "), "\(byAddress.stdout) \(byAddress.stderr)")
        // TLS 1.2 is served; TLS 1.1 is refused by the server (a protocol-version alert, not a client limit).
        let tls12 = try await runProgram("/usr/bin/env", ["python3", "-c", client, "localhost", Self.certificate, "\(chosen)", "TLSv1_2"])
        #expect(tls12.stdout.hasPrefix("200 TLSv1.2 "), "\(tls12.stdout) \(tls12.stderr)")
        let tls11 = try await runProgram("/usr/bin/env", ["python3", "-c", client, "localhost", Self.certificate, "\(chosen)", "TLSv1_1"])
        #expect(tls11.stdout.hasPrefix("ssl-error TLSV1_ALERT_PROTOCOL_VERSION"), "\(tls11.stdout) \(tls11.stderr)")
        let untrusted = try await runProgram("/usr/bin/env", ["python3", "-c", client, "localhost", "", "\(chosen)"])
        #expect(untrusted.stdout.hasPrefix("ssl-error CERTIFICATE_VERIFY_FAILED"), "\(untrusted.stdout) \(untrusted.stderr)")

        // Plain HTTP to the HTTPS port: the TLS handshake fails, so no HTTP answer comes back.
        let plain = try? await HTTP.send("GET", port: chosen, path: "/healthz", timeoutSeconds: 5)
        #expect(plain?.status != 200)

        task.cancel()
        _ = try? await task.value
    }
}
