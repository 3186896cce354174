import Foundation
import Testing
import Tally
import TallyTestSupport

@Suite("tally dump and tally load")
struct DumpTests {
    @Test func dumpThenLoadGivesAnIdenticalStore() throws {
        let dir = TemporaryDirectory()
        let first = dir.child("first"), second = dir.child("second")
        try writeText(dir.child("in.csv"), ExportQueryTests.csv)
        #expect(try runTally(["ingest", "csv", dir.child("in.csv"), "--store", first]).status == 0)
        let soda = try SharedData.path("fixtures/soda/results1.json")
        #expect(try runTally(["ingest", "soda", soda, "--store", first]).status == 0)
        #expect(try runTally(["series", "set", "row_count", "unit=rows", "--store", first]).status == 0)
        let dump = try runTally(["dump", "--output", dir.child("store.dump"), "--store", first])
        #expect(dump.status == 0, "\(dump.stderr)")
        let load = try runTally(["load", dir.child("store.dump"), "--store", second])
        #expect(load.status == 0, "\(load.stderr)")
        for command in [["export", "--format", "json"], ["series", "--format", "json"], ["scans", "--format", "csv"], ["scan", "2", "--raw"]] {
            let a = try runTally(command + ["--store", first]), b = try runTally(command + ["--store", second])
            #expect(a.status == 0 && b.status == 0)
            #expect(a.stdout == b.stdout, "\(command)")
        }
        // LSNs survive: the loaded store continues after them, and the re-sent document is still known.
        #expect(try runTally(["ingest", "soda", soda, "--store", second]).stdout.contains("already stored as scan 2"))
        #expect(try runTally(["verify", "--store", second]).status == 0)
        // A second dump of the loaded store is the same stream but for its creation time.
        let again = try runTally(["dump", "--store", second])
        let original = try String(contentsOfFile: dir.child("store.dump"), encoding: .utf8)
        #expect(again.stdout.split(separator: "\n").dropFirst() == original.split(separator: "\n").dropFirst())
    }

    @Test func aCutOffDumpIsRefusedAndLoadsNothing() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("s")
        #expect(try runTally(["ingest", "csv", "-", "--store", store], stdin: "time,metric,value\n1,m,1\n2,m,2\n").status == 0)
        let dump = try runTally(["dump", "--store", store]).stdout
        let cut = dump.split(separator: "\n").dropLast().joined(separator: "\n") + "\n"
        let result = try runTally(["load", "-", "--store", dir.child("t")], stdin: cut)
        #expect(result.status == 2)
        #expect(result.stderr.contains("cut off"))
        #expect(try runTally(["stats", "--format", "json", "--store", dir.child("t")]).stdout.contains("\"points\": 0"))
    }
}
