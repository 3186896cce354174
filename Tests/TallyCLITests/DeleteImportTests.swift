import Foundation
import Testing
import TallyTestSupport

/// `tally delete --import ID` through the built binary: the user's reports, as they were typed.
@Suite("tally delete --import")
struct DeleteImportTests {
    func tally(_ arguments: [String], store: String) throws -> CLIResult {
        try runTally(arguments + ["--store", store])
    }

    @Test func aDeletedScanIsForgottenAndItsDocumentLandsAgain() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("sd")
        let first = try SharedData.path("fixtures/soda/series_result_01.json")
        let second = try SharedData.path("fixtures/soda/series_result_02.json")
        #expect(try tally(["ingest", "soda", first, second], store: store).status == 0)
        let deleted = try tally(["delete", "--import", "2"], store: store)
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(deleted.stdout.hasPrefix("deleted 13 points; forgot batch 2; "), "\(deleted.stdout)")
        // A new process each time: what the catalog holds, not what one process remembers.
        let scans = try tally(["scans", "--format", "csv"], store: store)
        #expect(scans.stdout.split(separator: "\n").map { $0.prefix(2) } == ["sc", "1,"], "\(scans.stdout)")
        let shown = try tally(["scan", "2"], store: store)
        #expect(shown.status == 1)
        #expect(shown.stderr.contains("error: no scan 2 in \(store)"), "\(shown.stderr)")
        let again = try tally(["ingest", "soda", second], store: store)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\(second): scan 3 ("), "\(again.stdout)")
        #expect(!again.stdout.contains("already stored"), "\(again.stdout)")
        let twice = try tally(["ingest", "soda", second], store: store)
        #expect(twice.stdout.contains("already stored as scan 3; nothing changed"), "\(twice.stdout)")
        // Its points are back: as many as the first ingest gave.
        let export = try tally(["export", "--format", "csv"], store: store)
        #expect(export.stdout.contains("2024-05-02T06:00:00Z"), "\(export.stdout)")
        #expect(try tally(["verify"], store: store).status == 0)
    }

    /// v1 then v2 at one time (then, in R3/R4, v3 over it), each store compacted or not: deleting batch 2 leaves
    /// the same, and never brings v1's value back.
    @Test func aReplacedValueDoesNotComeBackWithOrWithoutCompaction() throws {
        let dir = TemporaryDirectory()
        for v in 1...3 { try writeText(dir.child("v\(v).csv"), "time,metric,value\n2024-05-01T00:00:00Z,m,\(v)\n") }
        try writeText(dir.child("other.csv"), "time,metric,value\n2024-05-02T00:00:00Z,m,9\n")
        var exports: [String: String] = [:]
        for (name, compact, later) in [("R1", false, false), ("R2", true, false), ("R3", false, true), ("R4", true, true)] {
            let store = dir.child(name)
            for file in ["v1", "v2"] + (later ? ["v3"] : []) + ["other"] {
                #expect(try tally(["ingest", "csv", dir.child(file + ".csv")], store: store).status == 0)
            }
            if compact { #expect(try tally(["compact"], store: store).status == 0) }
            let deleted = try tally(["delete", "--import", "2"], store: store)
            #expect(deleted.status == 0, "\(name): \(deleted.stderr)")
            #expect(deleted.stdout.hasPrefix("deleted \(later ? "0 points" : "1 point"); forgot batch 2; "), "\(name): \(deleted.stdout)")
            exports[name] = try tally(["export"], store: store).stdout
            #expect(try tally(["verify"], store: store).status == 0)
        }
        #expect(exports["R1"] == "metric,time,value\nm,2024-05-02T00:00:00Z,9.0\n", "\(exports)")
        #expect(exports["R1"] == exports["R2"], "\(exports)")
        #expect(exports["R3"] == "metric,time,value\nm,2024-05-01T00:00:00Z,3.0\nm,2024-05-02T00:00:00Z,9.0\n", "\(exports)")
        #expect(exports["R3"] == exports["R4"], "\(exports)")
    }

    /// An unknown batch is a failure (exit 1, as an unknown scan or feedback id), not bad input: the id is well formed.
    @Test func anUnknownBatchFailsAndASelectorCannotComeWithIt() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T00:00:00Z,m,1\n", in: dir)
        let unknown = try tally(["delete", "--import", "99"], store: store)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: no batch 99 in \(store): never written, or deleted (tally batches lists them)\n", "\(unknown.stderr)")
        #expect(unknown.stdout.isEmpty)
        let both = try tally(["delete", "m", "--import", "1"], store: store)
        #expect(both.status != 0)
        #expect(both.stderr.contains("a SELECTOR and --import ID cannot be combined"), "\(both.stderr)")
        #expect(!both.stderr.contains("give a SELECTOR or --import ID"), "\(both.stderr)")
        // Nothing was deleted by either.
        #expect(try tally(["export"], store: store).stdout == "metric,time,value\nm,2024-05-01T00:00:00Z,1.0\n")
        let neither = try tally(["delete"], store: store)
        #expect(neither.stderr.contains("give a SELECTOR or --import ID"), "\(neither.stderr)")
        // Deleting the same batch twice: the second time it is unknown.
        #expect(try tally(["delete", "--import", "1"], store: store).status == 0)
        let again = try tally(["delete", "--import", "1"], store: store)
        #expect(again.status == 1 && again.stderr.contains("no batch 1 in"), "\(again.stderr)")
    }
}
