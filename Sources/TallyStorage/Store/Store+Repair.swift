import TallyEncoding

/// What `repair` found and did.
public struct RepairReport: Sendable {
    /// One piece of damage: the file, what was lost, and where the damaged file now is.
    public struct Finding: Sendable, CustomStringConvertible {
        public var path: String
        public var detail: String
        /// The series and time ranges whose points were lost (`nil` series: every series of the file).
        public var lost: [(series: String?, from: Int64, to: Int64)]
        public var movedTo: String?

        public var description: String {
            var text = "\(path): \(detail)"
            for l in lost {
                text += "\n  lost: \(l.series ?? "every series in the file") from \(TimeText.format(l.from)) to \(TimeText.format(l.to))"
            }
            if let movedTo { text += "\n  original kept at \(movedTo)" }
            return text
        }
    }

    public var findings: [Finding] = []
    /// The verification after the repair.
    public var after = VerifyReport()
}

extension Store {
    /// Repairs a damaged store at `path` (no process may have it open for writing): damaged segments are
    /// rewritten with the blocks that can still be read, damaged WAL files keep every record that can still be
    /// read, damaged document records are replaced by markers. Every original is moved into `damaged/`, never
    /// deleted, and the report names the series and time ranges that were lost.
    public static func repair(at path: String) throws(StoreError) -> RepairReport {
        guard exists(at: path) else { throw StoreError.notAStore(path: path, detail: "no catalog") }
        let lock = try WriterLock(path: path + "/LOCK")
        defer { withExtendedLifetime(lock) {} }
        var report = RepairReport()
        // A UTC time a person can read, without the colons some tools take for separators: 2026-12-01T11-10-33.123Z.
        let stamp = TimeText.format(currentTimeMillis()).replacingColons()
        let damagedDirectory = path + "/damaged/" + stamp
        func moveAside(_ file: String) throws(StoreError) -> String {
            let target = damagedDirectory + "/" + file.split(separator: "/").suffix(2).joined(separator: "-")
            do throws(IOError) {
                try Directory.create(damagedDirectory)
                _ = try copyFile(file, to: target, limit: nil)
            } catch {
                throw .io(error)
            }
            return target
        }
        let catalog = try Catalog(directory: path, readOnly: false)
        if let problem = try catalog.integrityCheck() {
            throw StoreError.corrupt(path: catalog.path, offset: 0, detail: "the catalog fails SQLite's integrity check (\(problem)); restore it from a backup")
        }
        let names = Dictionary(uniqueKeysWithValues: try catalog.loadSeries().map { ($0.id, $0.key.description) })

        // Segments.
        for record in try catalog.loadSegments() {
            let file = path + "/segments/" + record.file
            var finding: RepairReport.Finding?
            var salvaged: [(SeriesID, SeriesKind, PointColumns)] = []
            do throws(StoreError) {
                let (reader, directory) = try SegmentReader.open(path: file, id: record.id).parts
                let problems = reader.verifyBlocks(directory) { names[$0] ?? "with id \($0)" }
                if problems.isEmpty && reader.size == record.bytes { continue }
                var lost: [(String?, Int64, Int64)] = []
                for (id, kind, blocks) in directory {
                    var columns = PointColumns()
                    for block in blocks {
                        var scratch = PointColumns()
                        do throws(StoreError) {
                            try reader.readBlock(block, into: &scratch)
                            columns.append(contentsOf: scratch)
                        } catch {
                            lost.append((names[id] ?? "series \(id)", block.minTime, block.maxTime))
                        }
                    }
                    if !columns.isEmpty { salvaged.append((id, kind, columns.resolved())) }
                }
                finding = RepairReport.Finding(path: file, detail: "\(problems.count) damaged blocks; the rest was kept",
                                               lost: lost, movedTo: nil)
            } catch {
                finding = RepairReport.Finding(path: file, detail: "unreadable (\(error)); the whole segment was lost",
                                               lost: [(nil, record.minTime, record.maxTime)], movedTo: nil)
            }
            guard var found = finding else { continue }
            found.movedTo = Directory.exists(file) ? try moveAside(file) : nil
            // Write what could be read as a new segment with the same id, then swap it in.
            let temporary = file + ".repair"
            if salvaged.isEmpty {
                // Batches only this segment held (bulk imports, above the flushed LSN: the WAL never had them) are
                // gone with it: the catalog forgets them, as it does batches a WAL repair drops.
                let others = try catalog.loadSegments().filter { $0.id != record.id }
                let gone = try catalog.imports(above: try catalog.flushedLSN()).filter { batch in
                    record.covers(batch.lsn) && !others.contains { $0.covers(batch.lsn) }
                }
                try catalog.db.transaction { () throws(StoreError) in
                    try catalog.deleteSegment(id: record.id)
                    for batch in gone { try catalog.deleteImport(lsn: batch.lsn) }
                }
                if !gone.isEmpty { found.detail += "; forgot its batches " + gone.map { "\($0.lsn)" }.joined(separator: ", ") }
                do throws(IOError) { try Directory.remove(file) } catch { throw .io(error) }
            } else {
                var updated = record
                do throws(IOError) {
                    var writer = try SegmentWriter(path: temporary)
                    for (id, kind, columns) in salvaged { try writer.add(series: id, kind: kind, columns: columns) }
                    updated.bytes = try writer.finish()
                    updated.pointCount = writer.pointCount
                    updated.seriesCount = writer.seriesCount
                    try Directory.renameDurably(temporary, file, directory: path + "/segments")
                } catch {
                    throw .io(error)
                }
                try catalog.db.transaction { () throws(StoreError) in
                    try catalog.deleteSegment(id: record.id)
                    try catalog.insertSegment(updated)
                }
            }
            report.findings.append(found)
        }

        // WAL files: keep every record that still reads.
        let walNames = ((try? Directory.list(path + "/wal")) ?? []).filter { $0.hasSuffix(".wal") }
        for (index, name) in walNames.enumerated() {
            let file = path + "/wal/" + name
            var contents = WALContents()
            let bytes: [UInt8]
            do throws(IOError) {
                let handle = try File.openForReading(file)
                bytes = try handle.read(count: try handle.size(), at: 0)
            } catch {
                throw .io(error)
            }
            let clean: Bool = bytes.withUnsafeBytes { raw in
                (try? WALReader.readFile(raw, path: file, isLast: index == walNames.count - 1, afterLSN: 0, into: &contents)) != nil
            }
            if clean && contents.tornTail == nil { continue }
            var (records, skipped, damagedTail) = WALReader.salvage(bytes)
            var tornGroupLSN: LSN = 0
            // At the end of the last file, records of the same append as damage before them (a group commit's type-2
            // records, nothing starting a later append) are the torn last write, as the open takes them: dropped.
            if index == walNames.count - 1, let damaged = records.lastIndex(where: \.afterDamage),
               records[damaged...].allSatisfy({ $0.type == WALFormat.continuingBatchRecordType }) {
                skipped += records[damaged...].reduce(0) { $0 + $1.bytes.count }
                tornGroupLSN = records[damaged...].map(\.lsn).max() ?? 0
                records.removeSubrange(damaged...)
                damagedTail = true
            }
            let moved = try moveAside(file)
            let nextFileLSN = index + 1 < walNames.count ? WALReader.firstLSN(of: walNames[index + 1]) : nil
            let dropped = try droppedBatches(kept: records, firstLSN: WALReader.firstLSN(of: name),
                                             nextFileLSN: nextFileLSN, damagedTail: damagedTail, catalog: catalog)
            // The catalog first (it can be done again): it forgets the dropped batches, so they are not listed with
            // points they no longer have and their content can be sent again, and it reserves their LSNs (a client
            // was told them) and, after damage at the end, the next one.
            let reserved = max(dropped.batches.map(\.lsn).max() ?? 0, damagedTail ? dropped.tailLSN : 0, tornGroupLSN)
            if !dropped.batches.isEmpty || reserved > 0 {
                try catalog.db.transaction { () throws(StoreError) in
                    for batch in dropped.batches where batch.recorded { try catalog.deleteImport(lsn: batch.lsn) }
                    try catalog.reserveLSNs(through: reserved)
                }
            }
            do throws(IOError) {
                let temporary = file + ".repair"
                let out = try File.openForWriting(temporary, create: true, truncate: true)
                var data = WALFormat.header()
                for record in records { data.append(contentsOf: record.bytes) }
                try out.write(data, at: 0)
                try out.sync()
                try Directory.renameDurably(temporary, file, directory: path + "/wal")
            } catch {
                throw .io(error)
            }
            var detail = "kept \(records.count) intact records; \(skipped) damaged bytes were dropped"
            if dropped.batches.isEmpty {
                detail += " (no batch can be named from them; at the end of the last file they are a write that was never acknowledged)"
            } else {
                detail += ", with the batches " + dropped.batches.map(\.text).joined(separator: ", ")
                    + ": their points are lost (restore them from a backup, or send them again)"
            }
            report.findings.append(RepairReport.Finding(path: file, detail: detail, lost: [], movedTo: moved))
        }

        // Document records: a damaged record is replaced by a marker of the same length, so references to the
        // others stay valid.
        var documents = VerifyReport()
        DocumentLog.verify(directory: path + "/documents", into: &documents)
        for problem in documents.problems {
            let moved = try moveAside(problem.path)
            let repaired = try DocumentLog.replaceDamaged(path: problem.path)
            report.findings.append(RepairReport.Finding(
                path: problem.path, detail: "\(repaired) damaged document records replaced by markers (their scans' points are kept)",
                lost: [], movedTo: moved))
        }
        report.after = verify(at: path)
        return report
    }
}

extension WALReader {
    /// Every record of a damaged WAL file that still has a good checksum and decodes, found by scanning past the
    /// damage for the next record that checks out. Returns the records (whole, as written; with their type, and
    /// whether damaged bytes came right before them), the bytes skipped, and whether damage runs to the end.
    static func salvage(_ bytes: [UInt8]) -> (records: [SalvagedRecord], skipped: Int, damagedTail: Bool) {
        var records: [SalvagedRecord] = []
        var skipped = 0
        var inDamage = false
        bytes.withUnsafeBytes { raw in
            var offset = WALFormat.headerSize
            while offset + WALFormat.recordHeaderSize <= raw.count {
                let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                let end = offset + WALFormat.recordHeaderSize + length
                if length > 0, length <= WALFormat.maxRecordSize, end <= raw.count {
                    let payload = UnsafeRawBufferPointer(rebasing: raw[(offset + WALFormat.recordHeaderSize)..<end])
                    if WALFormat.hasIntactChecksum(raw, at: offset, end: end),
                       (try? WALFormat.decodePayload(payload, fileOffset: offset)) != nil {
                        records.append(SalvagedRecord(bytes: Array(raw[offset..<end]), type: payload[0],
                                                      lsn: payload.loadUnaligned(fromByteOffset: 1, as: UInt64.self).littleEndian,
                                                      afterDamage: inDamage))
                        offset = end
                        inDamage = false
                        continue
                    }
                }
                inDamage = true
                offset += 1
                skipped += 1
            }
            if offset < raw.count { inDamage = true }
            skipped += max(0, raw.count - offset)
        }
        return (records, skipped, inDamage)
    }
}

/// A record a WAL repair keeps.
struct SalvagedRecord {
    var bytes: [UInt8]
    var type: UInt8
    var lsn: LSN
    /// Damaged bytes came right before it (so an LSN missing before it was in them).
    var afterDamage: Bool
}

extension Store {
    /// The batches a WAL repair dropped from one file, as far as they can be named: every batch the catalog
    /// recorded with an LSN of this file's span (from the LSN it is named by to the next file's), above the flushed
    /// LSN, that no record kept and no segment holds; and an LSN missing right before a record kept that damaged bytes
    /// precede (LSNs rise through a file; a gap with no damage before the next record is an LSN given to a bulk
    /// import or burnt by a failed write, not a lost record): records were appended after it, so it had been
    /// acknowledged. `tailLSN` is the LSN after the last record kept.
    static func droppedBatches(kept: [SalvagedRecord], firstLSN: LSN, nextFileLSN: LSN?, damagedTail: Bool,
                               catalog: Catalog) throws(StoreError) -> DroppedBatches {
        let flushed = try catalog.flushedLSN()
        var candidates = Set<LSN>()
        var previous = firstLSN &- 1
        for record in kept where record.lsn > previous {
            if record.afterDamage, record.lsn - previous <= 1_000_000 {
                candidates.formUnion(((previous + 1)..<record.lsn).filter { $0 > flushed })
            }
            previous = record.lsn
        }
        let recorded = try catalog.imports(above: flushed).filter { record in
            record.lsn >= firstLSN && nextFileLSN.map { record.lsn < $0 } ?? true
        }
        let records = Dictionary(recorded.map { ($0.lsn, $0) }, uniquingKeysWith: { a, _ in a })
        candidates.formUnion(records.keys)
        candidates.subtract(kept.map(\.lsn))
        let segments = try catalog.loadSegments()
        var out = DroppedBatches(batches: [], tailLSN: previous &+ 1)
        for lsn in candidates.sorted() where !segments.contains(where: { $0.covers(lsn) }) {
            guard let record = records[lsn] else { out.batches.append((lsn, "\(lsn)", false)); continue }
            out.batches.append((lsn, "\(lsn) (\(record.origin.kind) \(record.origin.source), \(record.pointCount) point\(record.pointCount == 1 ? "" : "s"))", true))
        }
        return out
    }
}

/// What a WAL repair dropped from one file (``Store/droppedBatches(kept:firstLSN:nextFileLSN:damagedTail:catalog:)``).
struct DroppedBatches {
    var batches: [(lsn: LSN, text: String, recorded: Bool)]
    var tailLSN: LSN
}

private extension String {
    func replacingColons() -> String { String(map { $0 == ":" ? "-" : $0 }) }
}
