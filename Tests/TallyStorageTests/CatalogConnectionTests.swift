import Foundation
import Synchronization
import Testing
@testable import TallyStorage
import TallyTestSupport

/// The store's catalog is one SQLite connection, and a transaction belongs to the connection: a read from another
/// thread must wait for a transaction in progress instead of seeing rows it may still roll back.
@Suite("catalog connection shared by threads")
struct CatalogConnectionTests {
    @Test func aReaderNeverSeesATransactionThatRollsBack() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1)]))
        try store.flush()
        let phantom = ImportRecord(lsn: 999, origin: BatchOrigin(kind: "test", source: "phantom", wallTime: 0),
                                   seriesCount: 1, pointCount: 1)
        let started = Atomic<Bool>(false)
        let writer = Thread {
            struct Abandoned: Error {}
            try? store.catalog.db.transaction { () throws(StoreError) in
                try store.catalog.insertImport(phantom)
                started.store(true, ordering: .sequentiallyConsistent)
                Thread.sleep(forTimeInterval: 0.3)   // the reader runs meanwhile
                throw StoreError.catalog("abandoned")
            }
        }
        writer.start()
        while !started.load(ordering: .sequentiallyConsistent) { Thread.sleep(forTimeInterval: 0.001) }
        // Both reads start while the transaction is open: they wait for it, and it rolls back.
        #expect(try store.importRecord(lsn: 999) == nil)
        #expect(try store.imports().map(\.lsn) == [1])
        try store.setMetadata("after", "yes")
        #expect(try store.metadata("after") == "yes")
    }
}
