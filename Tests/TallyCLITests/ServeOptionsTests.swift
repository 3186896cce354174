import Foundation
import Testing
import TallyTestSupport

@Suite("tally serve options")
struct ServeOptionsTests {
    @Test func sessionLifetimeMustBePositive() throws {
        let dir = TemporaryDirectory()
        for bad in ["0", "-5"] {
            let result = try runTally(["serve", "--store", dir.child("store"), "--session-lifetime=\(bad)"])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains("--session-lifetime must be positive"), "\(result.stderr)")
        }
        let help = try runTally(["serve", "--help"])
        #expect(help.stdout.contains("--session-lifetime"))
        #expect(help.stdout.contains("--check-attributes"))
    }

    /// A bad check-attribute file stops the server before it starts, saying where the problem is.
    @Test func badCheckAttributesAreRefused() throws {
        let dir = TemporaryDirectory()
        try writeText(dir.child("attributes.json"), #"[{"name": "owner"}]"#)
        let result = try runTally(["serve", "--store", dir.child("store"), "--port", "0",
                                   "--check-attributes", dir.child("attributes.json")])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("attributes.json") && result.stderr.contains("[0].type"), "\(result.stderr)")
        let missing = try runTally(["serve", "--store", dir.child("store"), "--port", "0",
                                    "--check-attributes", dir.child("nope.json")])
        #expect(missing.status == 1, "\(missing.stderr)")
        #expect(missing.stderr.contains("nope.json"), "\(missing.stderr)")
    }
}

@Suite("tally serve --tls-cert and --tls-key")
struct ServeTLSOptionsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TallyServerTests/tls").path

    @Test func theyGoTogether() throws {
        let dir = TemporaryDirectory()
        let alone = try runTally(["serve", "--store", dir.child("store"), "--tls-cert", Self.fixtures + "/localhost-cert.pem"])
        #expect(alone.status == 64, "\(alone.stderr)")
        #expect(alone.stderr.contains("--tls-cert and --tls-key go together"), "\(alone.stderr)")
        #expect(try runTally(["serve", "--help"]).stdout.contains("--tls-key"))
    }

    /// A key that does not belong to the certificate stops the server before it opens the store.
    @Test func aMismatchedKeyIsRefusedBeforeStarting() throws {
        let dir = TemporaryDirectory()
        let result = try runTally(["serve", "--store", dir.child("store"), "--port", "0",
                                   "--tls-cert", Self.fixtures + "/localhost-cert.pem",
                                   "--tls-key", Self.fixtures + "/other-key.pem"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("error: --tls-key \(Self.fixtures)/other-key.pem does not go with --tls-cert"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.child("store")))
        // A file that cannot be read is exit 1, as every unreadable input; the message names the option.
        let missing = try runTally(["serve", "--store", dir.child("store"), "--port", "0",
                                    "--tls-cert", dir.child("nope.pem"), "--tls-key", Self.fixtures + "/localhost-key.pem"])
        #expect(missing.status == 1, "\(missing.stderr)")
        #expect(missing.stderr.contains("error: --tls-cert cannot read \(dir.child("nope.pem")): No such file"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.child("store")))
    }
}
