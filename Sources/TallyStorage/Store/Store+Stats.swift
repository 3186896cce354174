/// Sizes and counts of a store.
public struct StoreStats: Sendable, Equatable {
    public var series: Int
    /// Points stored: in segments plus in the head (a point rewritten later counts until compaction merges it).
    public var points: Int
    public var headPoints: Int
    public var segments: Int
    public var segmentBytes: Int
    public var walBytes: Int
    public var catalogBytes: Int
    /// The kept source documents (Soda scan results).
    public var documentBytes: Int
    /// Every file of the store.
    public var bytes: Int
    public var bytesPerPoint: Double
}

extension Store {
    /// Counts series, points, segments and bytes on disk.
    public func stats() -> StoreStats {
        let (series, segmentPoints, headPoints, segments, segmentBytes) = state.withLock { s in
            (s.index.seriesCount, s.segments.reduce(0) { $0 + $1.pointCount }, s.head.pointCount, s.segments.count,
             s.segments.reduce(0) { $0 + $1.bytes })
        }
        let walBytes = ((try? Directory.list(walDirectory)) ?? []).reduce(0) {
            $0 + (Directory.fileSize(walDirectory + "/" + $1) ?? 0)
        }
        var catalogBytes = 0
        for suffix in ["", "-wal", "-shm"] {
            catalogBytes += Directory.fileSize(path + "/" + Catalog.fileName + suffix) ?? 0
        }
        let documentBytes = ((try? Directory.list(path + "/documents")) ?? []).reduce(0) {
            $0 + (Directory.fileSize(path + "/documents/" + $1) ?? 0)
        }
        let bytes = segmentBytes + walBytes + catalogBytes + documentBytes + (Directory.fileSize(path + "/LOCK") ?? 0)
        let points = segmentPoints + headPoints
        return StoreStats(series: series, points: points, headPoints: headPoints, segments: segments,
                          segmentBytes: segmentBytes, walBytes: walBytes, catalogBytes: catalogBytes,
                          documentBytes: documentBytes, bytes: bytes,
                          bytesPerPoint: points == 0 ? 0 : Double(bytes) / Double(points))
    }
}
