/// The format versions of a store's files, as `tally upgrade` reports them.
public struct FormatReport: Sendable, Equatable {
    public var catalogSchema: Int
    public var segmentVersions: [Int: Int]
    public var walVersions: [Int: Int]
    public var documentVersions: [Int: Int]
    /// Catalog versions migrated by the upgrade.
    public var migrated: [Int]

    /// What this Tally writes.
    public static let current = (catalog: Catalog.schemaVersion, segment: Int(SegmentFormat.version),
                                 wal: Int(WALFormat.version), documents: Int(DocumentLog.version))
}

extension Store {
    /// Migrates an older store in place to the formats this Tally writes (each catalog step in one transaction,
    /// so a crash leaves a store at a consistent version that the next upgrade continues from). Files of a newer
    /// format are refused with a clear message. Segments, WAL and document files of older versions stay as they
    /// are: this Tally reads every earlier version it knows, and compaction rewrites segments in the current one.
    public static func upgrade(at path: String) throws(StoreError) -> FormatReport {
        guard exists(at: path) else { throw StoreError.notAStore(path: path, detail: "no catalog") }
        let lock = try WriterLock(path: path + "/LOCK")
        defer { withExtendedLifetime(lock) {} }
        let catalog = try Catalog(directory: path, readOnly: false)
        let migrated = try catalog.migrate()
        var report = FormatReport(catalogSchema: try catalog.storedSchemaVersion(), segmentVersions: [:], walVersions: [:],
                                  documentVersions: [:], migrated: migrated)
        func versions(_ directory: String, suffix: String, supported: Int) throws(StoreError) -> [Int: Int] {
            var counts: [Int: Int] = [:]
            for name in ((try? Directory.list(directory)) ?? []) where name.hasSuffix(suffix) {
                let file = directory + "/" + name
                let header: [UInt8]
                do throws(IOError) { header = try File.openForReading(file).read(count: 5, at: 0) } catch { throw .io(error) }
                let version = Int(header[4])
                if version > supported { throw StoreError.unsupportedVersion(path: file, found: version, supported: supported) }
                counts[version, default: 0] += 1
            }
            return counts
        }
        report.segmentVersions = try versions(path + "/segments", suffix: ".tseg", supported: FormatReport.current.segment)
        report.walVersions = try versions(path + "/wal", suffix: ".wal", supported: FormatReport.current.wal)
        report.documentVersions = try versions(path + "/documents", suffix: ".tdoc", supported: FormatReport.current.documents)
        return report
    }
}
