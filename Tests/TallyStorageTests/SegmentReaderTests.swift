import Testing
@testable import TallyStorage
import TallyTestSupport

@Suite("Segment reader")
struct SegmentReaderTests {
    /// Writes one series of `points` points in blocks of at most `blockPoints`, and opens the file.
    func segment(points: Int, blockPoints: Int, in dir: TemporaryDirectory, name: String) throws -> SegmentReader.Opened {
        let path = dir.child(name)
        var writer = try SegmentWriter(path: path)
        let times = (0..<points).map { Int64($0) * 60_000 }
        let columns = PointColumns(times: times, values: times.map { Double($0) }, lsns: times.map { _ in 1 })
        try writer.add(series: 1, kind: .measurement, columns: columns, blockPoints: blockPoints)
        _ = try writer.finish()
        return try SegmentReader.open(path: path, id: 1)
    }

    /// Compaction rewrites a month's only segment when, and only when, a series there has more blocks than its
    /// points need: the reader says so from the footer it decoded at open.
    @Test func smallBlocksAreSeenAtOpen() throws {
        let dir = TemporaryDirectory()
        let split = try segment(points: 30, blockPoints: 10, in: dir, name: "split.tseg")
        #expect(split.directory.metas.count == 3)
        #expect(split.reader.hasSmallBlocks)
        let full = try segment(points: 5_000, blockPoints: SegmentFormat.maxBlockPoints, in: dir, name: "full.tseg")
        #expect(full.directory.metas.count == 2)
        #expect(!full.reader.hasSmallBlocks)
    }

    /// A run read again from the footer gives the blocks decoded at open.
    @Test func aRunReadAgainEqualsTheFooterDecodedAtOpen() throws {
        let dir = TemporaryDirectory()
        let opened = try segment(points: 9_000, blockPoints: 1_000, in: dir, name: "runs.tseg")
        var metas: [BlockMeta] = []
        try opened.reader.readRun(opened.directory.entries[0].run, into: &metas)
        #expect(metas == opened.directory.metas)
        #expect(metas.count == 9)
    }
}
