import Foundation
import Tally
import TallyEncoding
import TallyTestSupport
import Testing

/// Messages and exit codes for plausible mistakes: each says what was wrong and what to write instead.
@Suite struct UsabilityMessageTests {
    /// `series set` with a selector that matches nothing exits 2, as `check`, `feedback` and `backtest` do; a
    /// series that already had the attributes is counted apart.
    @Test func seriesSetOfNothingExits2() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T00:00:00Z,m,1\n", in: dir)
        let none = try runTally(["series", "set", "nosuch", "unit=x", "--store", store])
        #expect(none.status == 2 && none.stderr.contains("nosuch matches no series"), "\(none.stderr)")
        let set = try runTally(["series", "set", "m", "unit=x", "--store", store])
        #expect(set.status == 0 && set.stdout == "changed 1 series\n", "\(set.stdout)")
        let again = try runTally(["series", "set", "m", "unit=x", "--store", store])
        #expect(again.status == 0 && again.stdout == "changed 0 series (1 matched already had these attributes)\n", "\(again.stdout)")
    }

    /// A misspelt command is named, with the nearest one, and exits 64 (bad usage).
    @Test func aMisspeltCommandGetsTheNearestOne() throws {
        let typo = try runTally(["qurey", "row_count"])
        #expect(typo.status == 64 && typo.stderr.contains("unknown command `qurey`; did you mean `query`?"), "\(typo.stderr)")
        let unknown = try runTally(["zzzz"])
        #expect(unknown.status == 64 && unknown.stderr.contains("unknown command `zzzz` (`tally --help` lists the commands)"))
        #expect(try runTally(["help", "query"]).stdout.contains("Run a query"))
    }

    /// `keys create --format csv` prints CSV, as its help says.
    @Test func keysCreateWritesCSV() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T00:00:00Z,m,1\n", in: dir)
        let created = try runTally(["keys", "create", "--role", "read", "--name", "ci, nightly", "--format", "csv", "--store", store])
        let lines = created.stdout.split(separator: "\n").map(String.init)
        #expect(created.status == 0 && lines.count == 2, "\(created.stdout)")
        #expect(lines.first == "id,secret,token,role,name")
        let fields = lines.last?.split(separator: ",", maxSplits: 3).map(String.init) ?? []
        #expect(fields.count == 4 && fields[2] == fields[0] + "." + fields[1] && fields[3] == "read,\"ci, nightly\"", "\(fields)")
    }

    /// Query mistakes name the fix: a unit spelt out, a percent sign, a percentile past 100.
    @Test func queryMistakesNameTheFix() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T00:00:00Z,m,1\n", in: dir)
        for (query, text) in [("m | anomalies training=90min", "unknown duration unit `min` (min is written `m`)"),
                              ("m | since 2days", "unknown duration unit `days` (days is written `d`)"),
                              ("m | since 2 days", "found `2 days`: a duration is written `2d`"),
                              ("m | bucket 1 day avg", "a bucket width"),
                              ("m | anomalies ignore_below=5%", "percentages are written as plain numbers (`ignore_below=5` is 5%)"),
                              ("m | outcomes by (outcome)", "outcome is the label the stage adds to each group"),
                              ("m | top 2 by p101", "percentiles run from p0 to p100"),
                              ("m | anomalies training=1mo", "a duration in ms, s, m, h, d or w")] {
            let r = try runTally(["query", query, "--store", store])
            #expect(r.status == 2 && r.stderr.contains(text), "\(query): \(r.stderr)")
        }
        #expect(try runTally(["query", "m | anomalies ignore_below=\"5%\"", "--store", store]).status == 0)
    }

    /// Linking a series to itself names both without a field prefix meant for file columns.
    @Test func linkingASeriesToItselfSaysSoPlainly() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T00:00:00Z,m,1\n", in: dir)
        let r = try runTally(["series", "link", "m", "m", "--store", store])
        #expect(r.status == 2 && r.stderr == "error: m and m are the same series: link joins the history of one series into another\n",
                "\(r.stderr)")
    }

    /// A segment in a newer format is reported as not checked, once per file, not as damage with its path twice.
    @Test func verifyCallsANewerFormatNotChecked() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T00:00:00Z,m,1\n", in: dir)
        let segment = store + "/segments/" + (try #require(try FileManager.default.contentsOfDirectory(atPath: store + "/segments").first))
        var bytes = try readFileBytes(segment)
        bytes[4] = 2
        let crc = CRC32C.checksum(Array(bytes[0..<8]))
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[8 + i] = $0[i] } }
        try writeFileBytes(segment, bytes)
        let r = try runTally(["verify", "--store", store])
        #expect(r.status == 1)
        #expect(r.stderr == "not checked: \(segment): format version 2 is newer than this Tally reads (1); upgrade Tally to check it\n",
                "\(r.stderr)")
    }
}
