/// Bad input: says what is wrong and, where known, where (file, line, column, field).
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    public var column: Int?
    /// The column or field the problem is in (a CSV column, a dump's field).
    public var field: String?
    /// Where in a JSON document the problem is (`$.series[0].points[1].value`), for errors in one.
    public var path: String?
    public var message: String
    /// The series of the batch the error is about (its index in `WriteBatch.series`), when the store found the
    /// problem while writing: a reader that knows where it read that series can then say where (see
    /// `ParsedFile.locate`).
    public var seriesIndex: Int?

    public init(file: String? = nil, line: Int? = nil, column: Int? = nil, field: String? = nil, path: String? = nil,
                message: String, seriesIndex: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.path = path
        self.message = message
        self.seriesIndex = seriesIndex
    }

    /// `file:line:column: field "x": message` (`file:line:column: $.a[0].b: message` for a JSON path), leaving
    /// out what is unknown.
    public var description: String {
        var place = ""
        if let file { place += file }
        if let line { place += (place.isEmpty ? "line " : ":") + "\(line)" }
        if let column { place += (line == nil ? " column " : ":") + "\(column)" }
        var text = place.isEmpty ? "" : place + ": "
        if let path { text += path + ": " }
        if let field { text += "field \(quoteLabelValue(field)): " }
        return text + message
    }
}
