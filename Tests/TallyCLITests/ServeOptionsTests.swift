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
    }
}
