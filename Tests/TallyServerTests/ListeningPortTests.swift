import Logging
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("listening port")
struct ListeningPortTests {
    /// With port 0 the system chooses the port; the server says which one, and it answers there.
    @Test func portZeroReportsTheChosenPort() async throws {
        let directory = TemporaryDirectory("tally-port-test")
        var logger = Logger(label: "tally.test")
        logger.logLevel = .critical
        let server = try TallyServer(configuration: ServerConfiguration(port: 0, storePath: directory.child("store")),
                                     logger: logger)
        #expect(server.listeningPort == nil, "no port before the server listens")
        let task = Task { try await server.run() }
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = server.listeningPort
            if port == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let chosen = try #require(port, "the server reported no port within 10 s")
        #expect(chosen > 0)
        let health = try await HTTP.send("GET", port: chosen, path: "/healthz")
        #expect(health.status == 200)
        task.cancel()
        _ = try? await task.value
    }
}
