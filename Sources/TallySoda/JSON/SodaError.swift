/// Why a Soda document (or Cloud request body) was rejected.
///
/// Nothing is returned partially: every parse either yields a complete, validated value or throws
/// one `SodaError` describing the first problem found.
///
/// The ``description`` always starts with the JSON path of the problem:
///
/// ```text
/// $.checks[3].outcome: expected one of pass, warn, fail, error, null; found "passed" (line 12, column 20)
/// $.metrics[2]: unexpected end of input (line 1, column 812)
/// ```
public struct SodaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: Sendable, Equatable {
        /// The bytes are not valid JSON (or not valid UTF-8).
        case syntax
        /// Valid JSON that does not have the shape or values Soda gives (wrong type, missing key,
        /// bad timestamp, unknown outcome, ...).
        case invalid
        /// Valid, but a kind of document or request this module does not handle (e.g. soda-core 4.x).
        case unsupported
    }

    /// The class of problem.
    public let kind: Kind
    /// Where in the document the problem is.
    public let path: SodaJSONPath
    /// What is wrong, without the path.
    public let message: String
    /// 1-based line of the problem in the input text, when known.
    public let line: Int?
    /// 1-based column (in Unicode scalars) of the problem in the input text, when known.
    public let column: Int?

    /// Creates an error.
    public init(kind: Kind, path: SodaJSONPath, message: String, line: Int? = nil, column: Int? = nil) {
        self.kind = kind
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    /// The same error with a text position attached.
    func located(line: Int, column: Int) -> SodaError {
        SodaError(kind: kind, path: path, message: message, line: line, column: column)
    }

    /// `"<path>: <message>"` plus `" (line L, column C)"` when the position is known.
    public var description: String {
        var text = "\(path): \(message)"
        if let line, let column { text += " (line \(line), column \(column))" }
        return text
    }

    static func invalid(_ path: SodaJSONPath, _ message: String) -> SodaError {
        SodaError(kind: .invalid, path: path, message: message)
    }

    static func expected(_ what: String, at path: SodaJSONPath, found value: SodaJSON?) -> SodaError {
        guard let value else {
            // The key is named in the message too: a reader of the message alone should not need the path.
            if case .key(let name)? = path.components.last {
                return .invalid(path, "missing required key \"\(name)\"; expected \(what)")
            }
            return .invalid(path, "missing required key; expected \(what)")
        }
        return .invalid(path, "expected \(what); found \(value.foundText)")
    }
}
