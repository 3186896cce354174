/// Bad input: says what is wrong and, where known, where (file, line, column, field).
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var field: String?
    public var message: String
    /// The series of the batch the error is about (its index in `WriteBatch.series`), when the store found the
    /// problem while writing: a reader that knows where it read that series can then say where (see
    /// `ParsedFile.locate`).
    public var seriesIndex: Int?

    public init(file: String? = nil, line: Int? = nil, column: Int? = nil, field: String? = nil, message: String,
                seriesIndex: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        self.seriesIndex = seriesIndex
    }

    /// `file:line:column: field "x": message`, leaving out what is unknown.
    public var description: String {
        var place = ""
        if let file { place += file }
        if let line { place += (place.isEmpty ? "line " : ":") + "\(line)" }
        if let column { place += (line == nil ? " column " : ":") + "\(column)" }
        var text = place.isEmpty ? "" : place + ": "
        if let field { text += "field \(quoteLabelValue(field)): " }
        return text + message
    }
}
