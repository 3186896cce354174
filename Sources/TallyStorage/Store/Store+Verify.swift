/// One problem `verify` found: the file, the offset where known, and what is wrong.
public struct VerifyProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var offset: Int?
    public var detail: String
    /// The file is in a format newer than this Tally reads: not damage, but it could not be checked.
    public var isNewerFormat = false

    public var description: String {
        "\(path)" + (offset.map { ": offset \($0)" } ?? "") + ": \(detail)"
    }
}

/// What `verify` checked and found.
public struct VerifyReport: Sendable {
    public var problems: [VerifyProblem] = []
    public var segmentsChecked = 0
    public var blocksChecked = 0
    public var walFilesChecked = 0
    public var walRecordsChecked = 0
    public var documentsChecked = 0
    /// Things worth knowing that are not damage (e.g. files an interrupted flush left, which the next open removes).
    public var notes: [VerifyProblem] = []

    /// True when nothing is damaged.
    public var isClean: Bool { problems.isEmpty }
}

extension Store {
    /// Checks every checksum of every file of the store at `path` without opening it for writing: the catalog
    /// (SQLite's integrity check), each segment (header, every block, footer, trailer) and each WAL file.
    /// Works on a damaged store, which ``open(at:options:)`` would refuse.
    public static func verify(at path: String) -> VerifyReport {
        var report = VerifyReport()
        func note(_ error: StoreError, defaultPath: String) {
            switch error {
            case .corrupt(let p, let offset, let detail): report.problems.append(VerifyProblem(path: p, offset: offset, detail: detail))
            case .io(let e): report.problems.append(VerifyProblem(path: e.path, offset: e.offset, detail: e.description))
            case .unsupportedVersion(let p, let found, let supported):
                report.problems.append(VerifyProblem(path: p, offset: nil, detail: "format version \(found) is newer than this "
                                                     + "Tally reads (\(supported)); upgrade Tally to check it", isNewerFormat: true))
            default: report.problems.append(VerifyProblem(path: defaultPath, offset: nil, detail: error.description))
            }
        }
        let catalogPath = path + "/" + Catalog.fileName
        var listed: [SegmentRecord] = []
        // The documents batches refer to (catalog and WAL): each must be a whole, good record of the log.
        var documentRefs: [(LSN, String)] = []
        var catalog: Catalog?
        // Whether the catalog's list of segments was read: without it, no file can be called unlisted.
        var segmentsListed = false
        do throws(StoreError) {
            let opened = try Catalog(directory: path, readOnly: true)
            catalog = opened
            if let problem = try opened.integrityCheck() {
                report.problems.append(VerifyProblem(path: catalogPath, offset: nil, detail: "integrity check: \(problem)"))
            }
            listed = try opened.loadSegments()
            segmentsListed = true
            for record in try opened.loadImports() {
                if let ref = record.origin.detail(BatchOrigin.documentKey) { documentRefs.append((record.lsn, ref)) }
            }
        } catch {
            // A store whose creation was cut short holds nothing yet: the next open for writing finishes it.
            if case .notAStore(_, let detail) = error, detail == Catalog.unfinishedDetail {
                report.notes.append(VerifyProblem(path: catalogPath, offset: nil, detail: error.description))
            } else {
                note(error, defaultPath: catalogPath)
            }
        }
        // The series' keys, read from the catalog only once some block is damaged, to name its series.
        var names: [SeriesID: String]?
        func seriesName(_ id: SeriesID) -> String {
            if names == nil {
                let records = (try? catalog?.loadSeries()) ?? []
                names = Dictionary(records.map { ($0.id, $0.key.description) }, uniquingKeysWith: { first, _ in first })
            }
            return names?[id] ?? "with id \(id)"
        }
        for record in listed {
            let file = path + "/segments/" + record.file
            report.segmentsChecked += 1
            do {
                let (reader, directory) = try SegmentReader.open(path: file, id: record.id).parts
                report.blocksChecked += directory.metas.count
                for problem in reader.verifyBlocks(directory, seriesName: seriesName) {
                    note(problem, defaultPath: file)
                }
                if reader.size != record.bytes {
                    report.problems.append(VerifyProblem(path: file, offset: nil,
                        detail: "size \(reader.size) differs from the catalog's \(record.bytes)"))
                }
            } catch {
                note(error, defaultPath: file)
            }
        }
        let known = Set(listed.map(\.file))
        let unlisted = ((try? Directory.list(path + "/segments")) ?? []).filter { !known.contains($0) }
        if segmentsListed {
            for name in unlisted {
                report.notes.append(VerifyProblem(path: path + "/segments/" + name, offset: nil,
                    detail: "not listed in the catalog (left by an interrupted flush; the next open removes it)"))
            }
        } else if !unlisted.isEmpty {
            report.notes.append(VerifyProblem(path: path + "/segments", offset: nil,
                detail: "\(unlisted.count) segment files were not checked: the catalog's list of them could not be read. "
                    + "Keep them: they hold the store's points (restore the catalog from a backup)"))
        }
        let walNames = ((try? Directory.list(path + "/wal")) ?? []).filter { $0.hasSuffix(".wal") }
        var walLSNs = Set<LSN>()
        var walReadWhole = true
        for (i, name) in walNames.enumerated() {
            let file = path + "/wal/" + name
            report.walFilesChecked += 1
            var contents = WALContents()
            do {
                let handle = try File.openForReading(file)
                let bytes = try handle.read(count: try handle.size(), at: 0)
                try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(StoreError) in
                    try WALReader.readFile(raw, path: file, isLast: i == walNames.count - 1, afterLSN: 0, into: &contents)
                }
                report.walRecordsChecked += contents.batches.count
                walLSNs.formUnion(contents.batches.map(\.lsn))
                for batch in contents.batches {
                    if let ref = batch.origin.detail(BatchOrigin.documentKey) { documentRefs.append((batch.lsn, ref)) }
                }
                if let torn = contents.tornTail {
                    report.problems.append(VerifyProblem(path: file, offset: torn.offset,
                        detail: "the last \(torn.bytes) bytes are an incomplete or damaged last write"
                            + TornTail.claimsPhrase(torn.claimedLSNs)
                            + ": a write cut off before it was acknowledged, or damage that looks like one; the next open "
                            + "for writing cuts it off and keeps the bytes in damaged/, unless the catalog recorded its "
                            + "batch (then the open stops: see below)"))
                }
            } catch let error as StoreError {
                walReadWhole = false
                note(error, defaultPath: file)
            } catch let error as IOError {
                walReadWhole = false
                note(.io(error), defaultPath: file)
            } catch {
                walReadWhole = false
                report.problems.append(VerifyProblem(path: file, offset: nil, detail: "\(error)"))
            }
        }
        // A batch the catalog recorded above the flushed LSN must be in the WAL or in a segment (what the open
        // checks): one in neither is lost, even when the WAL was cut exactly between two records.
        if walReadWhole, segmentsListed, let catalog, let flushed = try? catalog.flushedLSN() {
            for lost in (try? catalog.batchesHeldByNothing(above: flushed, walLSNs: walLSNs, segments: listed)) ?? [] {
                report.problems.append(VerifyProblem(path: path + "/wal", offset: nil,
                    detail: lost.heldByNothingMessage + " (the open stops; `tally repair` names it and forgets it)"))
            }
        }
        var goodRecords: [String: [Int: Int]] = [:], damagedRecords: [String: Set<Int>] = [:]
        DocumentLog.verify(directory: path + "/documents", into: &report, goodRecords: &goodRecords, damagedRecords: &damagedRecords)
        // A log cut exactly between two records is a valid, shorter file: only the references can tell.
        var reported = Set<String>()
        for (lsn, text) in documentRefs where !reported.contains(text) {
            reported.insert(text)
            guard let ref = DocumentRef(text) else {
                report.problems.append(VerifyProblem(path: catalogPath, offset: nil,
                    detail: "batch \(lsn) has a malformed document reference \(text)"))
                continue
            }
            let file = path + "/documents/" + ref.file
            guard goodRecords[ref.file]?[ref.offset] != ref.length else { continue }
            if damagedRecords[ref.file]?.contains(ref.offset) == true {
                report.problems.append(VerifyProblem(path: file, offset: ref.offset,
                    detail: "the document of batch \(lsn) is that damaged record (tally repair marks it as lost)"))
                continue
            }
            report.problems.append(VerifyProblem(path: file, offset: ref.offset,
                detail: "the document of batch \(lsn) (\(ref.length) bytes) is missing: the file ends or holds no whole record there"))
        }
        return report
    }
}
