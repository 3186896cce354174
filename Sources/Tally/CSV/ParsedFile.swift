import TallyStorage

/// A points file read into a batch (a CSV file by ``CSVImport/parseLocated(_:fileName:origin:)``, a JSON file by
/// ``JSONPointsImport/parse(_:fileName:origin:)``), able to say where each of its series is: the store checks
/// some things only while writing (that a series it holds as a check is not written as a measurement), and
/// ``locate(_:)`` puts the file, line and column on such an error.
public struct ParsedFile: Sendable {
    /// The batch to write.
    public var batch: WriteBatch
    /// The file's name, as errors give it.
    public var fileName: String
    /// Where series `index` of the batch is written in the file (line and character column), when known. Called
    /// only for an error.
    let place: @Sendable (_ index: Int) -> (line: Int, column: Int, path: String?)?

    /// `error` with this file's name, and the line and column of the series it is about, when it is an input
    /// error about one of this batch's series; any other error as it is.
    public func locate(_ error: StoreError) -> StoreError {
        guard case .invalid(var input) = error, let index = input.seriesIndex, index < batch.series.count,
              let place = place(index) else { return error }
        input.file = input.file ?? fileName
        input.line = place.line
        input.column = place.column
        if let path = place.path { input.path = path }
        return .invalid(input)
    }
}
