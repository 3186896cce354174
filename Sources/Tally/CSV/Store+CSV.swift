import TallyStorage

extension Store {
    /// Points at or above which a CSV file is written straight into segments instead of through the WAL.
    public static let bulkImportThreshold = 250_000

    /// Validates a whole CSV file and writes it as one batch: all of it lands, or (on any error) none of it.
    ///
    /// - Parameters:
    ///   - bytes: the file's content.
    ///   - fileName: named in errors and recorded as the batch's source.
    /// - Throws: ``StoreError/invalid(_:)`` naming file, line, column and field when the file is malformed.
    @discardableResult
    public func ingestCSV(_ bytes: [UInt8], fileName: String) throws(StoreError) -> WriteReceipt {
        try ingestPoints(Store.parseCSV(bytes, fileName: fileName))
    }

    /// Validates a whole CSV file into the batch ``ingestCSV(_:fileName:)`` writes, without a store (so that a
    /// command can refuse a bad file before it opens, or creates, one).
    ///
    /// - Throws: ``StoreError/invalid(_:)`` naming file, line, column and field when the file is malformed.
    public static func parseCSV(_ bytes: [UInt8], fileName: String) throws(StoreError) -> ParsedFile {
        let origin = BatchOrigin(kind: "csv", source: fileName, details: ["bytes": "\(bytes.count)"])
        do { return try CSVImport.parseLocated(bytes, fileName: fileName, origin: origin) } catch { throw .invalid(error) }
    }

    /// Validates a whole JSON points file (the format `tally export --format json` writes, see ``JSONPointsImport``)
    /// into the batch ``ingestPoints(_:)`` writes, without a store.
    ///
    /// - Throws: ``StoreError/invalid(_:)`` naming file, line, column and JSON path when the file is malformed.
    public static func parsePointsJSON(_ bytes: [UInt8], fileName: String) throws(StoreError) -> ParsedFile {
        let origin = BatchOrigin(kind: "json", source: fileName, details: ["bytes": "\(bytes.count)"])
        do { return try JSONPointsImport.parse(bytes, fileName: fileName, origin: origin) } catch { throw .invalid(error) }
    }

    /// Writes a file from ``parseCSV(_:fileName:)`` or ``parsePointsJSON(_:fileName:)``: in bulk from
    /// ``bulkImportThreshold`` points on, else through the WAL. An error the store finds while writing names the
    /// file, line and column of the series.
    @discardableResult
    public func ingestPoints(_ file: ParsedFile) throws(StoreError) -> WriteReceipt {
        do {
            if file.batch.pointCount >= Store.bulkImportThreshold { return try importBulk(file.batch) }
            return try write(file.batch)
        } catch {
            throw file.locate(error)
        }
    }
}
