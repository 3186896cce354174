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
