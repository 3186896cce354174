import TallyEncoding

/// An open segment file. Its footer is checked and decoded at open (``open(path:id:)``) for the index to take
/// what it keeps: per series, where its entry lies in the footer and that entry's checksum. Block metadata is read
/// again from the footer when a query needs it (``readRun(_:into:)``), and blocks are read on demand with pread.
package final class SegmentReader: @unchecked Sendable {
    package let path: String
    package let id: UInt64
    let file: File
    package let size: Int
    let footerOffset: Int
    let footerLength: Int
    let footerCRC: UInt32
    /// Whether some series has more blocks than its points need (compaction would merge them). Set once by
    /// ``open(path:id:)`` from the decoded footer, before the reader is shared.
    private(set) var hasSmallBlocks = false

    /// A segment just opened, with its footer decoded: the store indexes the directory and then lets it go.
    struct Opened: Sendable {
        let reader: SegmentReader
        let directory: SegmentDirectory

        var parts: (SegmentReader, SegmentDirectory) { (reader, directory) }
    }

    /// Opens a segment, checks its header, trailer and footer checksums and that its blocks tile the file, and
    /// decodes its footer.
    /// `expectedBytes` is the size the catalog recorded: a file of another size is refused before it is read (it
    /// was cut short, or another file is in its place, and its own checksums may not tell).
    static func open(path: String, id: UInt64, expectedBytes: Int? = nil) throws(StoreError) -> Opened {
        let reader = try SegmentReader(path: path, id: id, expectedBytes: expectedBytes)
        let directory = try reader.readDirectory()
        try reader.checkTiling(directory)
        reader.hasSmallBlocks = directory.hasSmallBlocks
        return Opened(reader: reader, directory: directory)
    }

    private init(path: String, id: UInt64, expectedBytes: Int?) throws(StoreError) {
        self.path = path
        self.id = id
        do throws(IOError) {
            file = try File.openForReading(path)
            size = try file.size()
        } catch {
            throw .io(error)
        }
        if let expectedBytes, size != expectedBytes {
            throw StoreError.corrupt(path: path, offset: min(size, expectedBytes), detail:
                "the file is \(size) bytes where the catalog recorded \(expectedBytes): "
                + (size < expectedBytes ? "it was cut short" : "it is not the file the catalog describes")
                + " (`tally verify` names every problem; `tally repair` keeps what can be read)")
        }
        let minimum = SegmentFormat.headerSize + SegmentFormat.trailerSize
        guard size >= minimum else {
            throw StoreError.corrupt(path: path, offset: 0, detail: "file too short for a segment (\(size) bytes)")
        }
        let header: [UInt8]
        let trailer: [UInt8]
        do throws(IOError) {
            header = try file.read(count: SegmentFormat.headerSize, at: 0)
            trailer = try file.read(count: SegmentFormat.trailerSize, at: size - SegmentFormat.trailerSize)
        } catch {
            throw .io(error)
        }
        try SegmentReader.checkHeader(header, path: path)
        let trailerOffset = size - SegmentFormat.trailerSize
        (footerOffset, footerLength, footerCRC) = try trailer.withBytes {
            (raw: UnsafeRawBufferPointer) throws(StoreError) -> (Int, Int, UInt32) in
            guard raw[20..<24].elementsEqual(SegmentFormat.magic) else {
                throw StoreError.corrupt(path: path, offset: trailerOffset + 20, detail: "bad trailer magic number")
            }
            let crc = raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self).littleEndian
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<16])) == crc else {
                throw StoreError.corrupt(path: path, offset: trailerOffset, detail: "trailer checksum mismatch")
            }
            return (Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian),
                    Int(raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian),
                    raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
        }
        guard footerOffset >= SegmentFormat.headerSize, footerOffset + footerLength == trailerOffset else {
            throw StoreError.corrupt(path: path, offset: trailerOffset, detail: "footer position \(footerOffset)+\(footerLength) does not end at the trailer")
        }
    }

    /// Reads the whole footer, checks its checksum and decodes it (compaction, verification, and the open).
    func readDirectory() throws(StoreError) -> SegmentDirectory {
        let footer: [UInt8]
        do throws(IOError) { footer = try file.read(count: footerLength, at: footerOffset) } catch { throw .io(error) }
        return try footer.withBytes { (raw: UnsafeRawBufferPointer) throws(StoreError) in
            guard CRC32C.checksum(raw) == footerCRC else {
                throw StoreError.corrupt(path: path, offset: footerOffset, detail: "footer checksum mismatch")
            }
            do throws(EncodingError) {
                return try SegmentFormat.decodeFooter(raw, fileOffset: footerOffset)
            } catch {
                throw StoreError.corrupt(path, error)
            }
        }
    }

    /// Reads one series' entry of the footer again and appends its blocks' metadata (in time order) to `metas`.
    /// The entry's bytes must have the checksum they had when the footer was checked at open.
    func readRun(_ run: FooterRun, into metas: inout [BlockMeta]) throws(StoreError) {
        let start = Int(run.position)
        let available = footerLength - start
        guard start >= 0, available > 0 else {
            throw StoreError.corrupt(path: path, offset: footerOffset, detail: "footer entry at \(start) is outside the footer")
        }
        // The footer was decoded and checked at open, so bytes that no longer decode have changed since.
        func changed(_ error: EncodingError) -> StoreError {
            .corrupt(path: path, offset: error.offset,
                     detail: "footer entry no longer decodes (the file changed since it was opened): \(error.detail)")
        }
        // One read holds the entry of a series of a few blocks; a longer entry gets a second read of the rest, as
        // long as its block count allows.
        var raw = try readFooterBytes(at: start, count: min(available, 512))
        let blockCount: Int
        do throws(EncodingError) {
            blockCount = try raw.withBytes { (bytes: UnsafeRawBufferPointer) throws(EncodingError) in
                try SegmentFormat.peekBlockCount(bytes, baseOffset: footerOffset + start, limit: footerLength)
            }
        } catch {
            throw changed(error)
        }
        let longest = min(available, SegmentFormat.maxSeriesHeaderBytes + blockCount * SegmentFormat.maxBlockEntryBytes)
        if raw.count < longest { raw += try readFooterBytes(at: start + raw.count, count: longest - raw.count) }
        try raw.withBytes { (bytes: UnsafeRawBufferPointer) throws(StoreError) in
            var r = ByteReader(bytes, baseOffset: footerOffset + start)
            do throws(EncodingError) {
                _ = try SegmentFormat.decodeSeriesEntry(&r, into: &metas, limit: footerLength)
            } catch {
                throw changed(error)
            }
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<r.offset])) == run.crc else {
                throw StoreError.corrupt(path: path, offset: footerOffset + start,
                                         detail: "footer entry checksum mismatch (the file changed since it was opened)")
            }
        }
    }

    private func readFooterBytes(at position: Int, count: Int) throws(StoreError) -> [UInt8] {
        do throws(IOError) { return try file.read(count: count, at: footerOffset + position) } catch { throw .io(error) }
    }

    private static func checkHeader(_ header: [UInt8], path: String) throws(StoreError) {
        guard header[0..<4].elementsEqual(SegmentFormat.magic) else {
            throw StoreError.corrupt(path: path, offset: 0, detail: "not a Tally segment (bad magic number)")
        }
        let crc = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian }
        guard header.withUnsafeBytes({ CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<8])) }) == crc else {
            throw StoreError.corrupt(path: path, offset: 0, detail: "segment header checksum mismatch")
        }
        guard header[4] <= SegmentFormat.version else {
            throw StoreError.unsupportedVersion(path: path, found: Int(header[4]), supported: Int(SegmentFormat.version))
        }
    }

    /// Blocks must cover the bytes between the header and the footer exactly, so every byte is checksummed.
    private func checkTiling(_ directory: SegmentDirectory) throws(StoreError) {
        var spans: [(Int, Int)] = []
        spans.reserveCapacity(directory.metas.count)
        for b in directory.metas { spans.append((b.offset, b.length)) }
        if zip(spans, spans.dropFirst()).contains(where: { $0.0 > $1.0 }) { spans.sort { $0.0 < $1.0 } }
        var expected = SegmentFormat.headerSize
        for (offset, length) in spans {
            guard offset == expected, length > 0 else {
                throw StoreError.corrupt(path: path, offset: offset, detail: "block directory does not tile the file (expected a block at \(expected))")
            }
            expected = offset + length
        }
        guard expected == footerOffset else {
            throw StoreError.corrupt(path: path, offset: expected, detail: "bytes between the last block and the footer")
        }
    }

    /// Reads and decodes one block, appending its points to `columns`.
    package func readBlock(_ meta: BlockMeta, into columns: inout PointColumns) throws(StoreError) {
        let raw: [UInt8]
        do throws(IOError) { raw = try file.read(count: meta.length, at: meta.offset) } catch { throw .io(error) }
        try raw.withBytes { (buffer: UnsafeRawBufferPointer) throws(StoreError) in
            try BlockCodec.decode(buffer, meta: meta, path: path, into: &columns)
        }
    }

    /// Reads blocks that lie back to back in the file (each starting where the one before ends) with one read,
    /// then decodes each, appending their points to `columns` in order.
    package func readBlocks(_ metas: [BlockMeta], into columns: inout PointColumns) throws(StoreError) {
        guard let first = metas.first, let last = metas.last else { return }
        let span = last.offset + last.length - first.offset
        let raw: [UInt8]
        do throws(IOError) { raw = try file.read(count: span, at: first.offset) } catch { throw .io(error) }
        try raw.withBytes { (buffer: UnsafeRawBufferPointer) throws(StoreError) in
            for meta in metas {
                let start = meta.offset - first.offset
                precondition(start >= 0 && start + meta.length <= span, "blocks must lie back to back")
                try BlockCodec.decode(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + meta.length)]),
                                      meta: meta, path: path, into: &columns)
            }
        }
    }

    /// Reads every block and checks its checksum and decoding. Returns the problems found, in file order, each
    /// naming the series of its block (`seriesName` gives a series' key as it is written).
    func verifyBlocks(_ directory: SegmentDirectory, seriesName: (SeriesID) -> String) -> [StoreError] {
        var problems: [StoreError] = []
        var scratch = PointColumns()
        for (id, _, blocks) in directory {
            for block in blocks {
                scratch = PointColumns()
                do throws(StoreError) {
                    try readBlock(block, into: &scratch)
                } catch {
                    problems.append(error.reading(series: seriesName(id)))
                }
            }
        }
        return problems
    }
}
