import Foundation
import Testing
import Tally
import TallyTestSupport

/// What the commands say about damage: a scan whose document a repair replaced, a backup of a damaged store.
@Suite("tally repair, scan and backup on a damaged store")
struct DamagedStoreCommandTests {
    /// Flips one byte in the middle of the store's only document file.
    static func damageTheDocument(of store: String) throws {
        let documents = try FileManager.default.contentsOfDirectory(atPath: store + "/documents").filter { $0.hasSuffix(".tdoc") }
        let file = store + "/documents/" + (try #require(documents.first))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count / 2] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: file))
    }

    @Test func aScanWhoseDocumentWasLostSaysSo() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("s")
        let soda = try SharedData.path("fixtures/soda/results1.json")
        #expect(try runTally(["ingest", "soda", soda, "--store", store]).status == 0)
        try Self.damageTheDocument(of: store)
        #expect(try runTally(["verify", "--store", store]).status == 1)
        let repair = try runTally(["repair", "--store", store])
        #expect(repair.status == 0 && repair.stdout.contains("replaced by markers"), "\(repair.stdout)\(repair.stderr)")
        let raw = try runTally(["scan", "1", "--raw", "--store", store])
        #expect(raw.status == 1 && raw.stdout.isEmpty, "\(raw.stdout.prefix(200))")
        #expect(raw.stderr.contains("scan 1's document was lost to damage"), "\(raw.stderr)")
        // The scan itself and its points are kept.
        let shown = try runTally(["scan", "1", "--store", store])
        #expect(shown.status == 0 && shown.stdout.contains("definition"))
        // A dump carries no marker: the loaded store's scan has no document (not the marker's zero bytes).
        let dump = try runTally(["dump", "--output", dir.child("d"), "--store", store])
        let dumped = try String(contentsOfFile: dir.child("d"), encoding: .utf8)
        #expect(dump.status == 0 && !dumped.contains("\"document\""))
        #expect(try runTally(["load", dir.child("d"), "--store", dir.child("loaded")]).status == 0)
        let loaded = try runTally(["scan", "1", "--raw", "--store", dir.child("loaded")])
        #expect(loaded.status == 1 && loaded.stderr.contains("scan 1 has no stored document"), "\(loaded.stderr)")
    }

    @Test func aBackupOfADamagedStoreFails() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("s")
        let soda = try SharedData.path("fixtures/soda/results1.json")
        #expect(try runTally(["ingest", "soda", soda, "--store", store]).status == 0)
        #expect(try runTally(["backup", dir.child("good"), "--store", store]).status == 0)
        try Self.damageTheDocument(of: store)
        let backup = try runTally(["backup", dir.child("bad"), "--store", store])
        #expect(backup.status == 1, "\(backup.stdout)\(backup.stderr)")
        #expect(backup.stderr.contains("damaged: ") && backup.stderr.contains("holds damage copied from the store"), "\(backup.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.child("bad")))
    }
}
