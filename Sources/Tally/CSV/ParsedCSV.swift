import TallyStorage

/// A CSV file read into a batch (``CSVImport/parseLocated(_:fileName:origin:)``), with where each of its series
/// first appears: the store checks some things only while writing (that a series it holds as a check is not
/// written as a measurement), and ``locate(_:)`` puts the file, line and column on such an error.
public struct ParsedCSV: Sendable {
    /// The first row of a series: its outcome cell, or its first cell when the file has no outcome column (byte
    /// column; ``locate(_:)`` counts characters).
    struct Place: Sendable {
        var line: Int32
        var column: Int32
    }

    /// The batch to write.
    public var batch: WriteBatch
    /// The file's name, as errors give it.
    public var fileName: String
    /// The file's bytes (shared with the caller's array, not copied), to count the columns of an error.
    let bytes: [UInt8]
    /// Where each series of `batch` first appears, by its index.
    let places: [Place]

    /// `error` with this file's name, and the line and column of the first row of the series
    /// it is about, when it is an input error about one of this batch's series; any other error as it is.
    public func locate(_ error: StoreError) -> StoreError {
        guard case .invalid(var input) = error, let index = input.seriesIndex, index < places.count else { return error }
        let place = places[index]
        input.file = input.file ?? fileName
        input.line = Int(place.line)
        input.column = bytes.withUnsafeBufferPointer {
            CSVParser.characterColumn(in: $0, line: Int(place.line), byteColumn: Int(place.column))
        }
        return .invalid(input)
    }
}
