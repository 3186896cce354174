/// The outcome of one check evaluation. Stored as one byte per point; 0 means "no outcome" (a measurement).
public enum Outcome: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case pass = 1
    case warn = 2
    case fail = 3
    case error = 4
    case notEvaluated = 5

    /// The spelling used in files, queries and output: `pass`, `warn`, `fail`, `error`, `not_evaluated`.
    public var description: String {
        switch self {
        case .pass: "pass"
        case .warn: "warn"
        case .fail: "fail"
        case .error: "error"
        case .notEvaluated: "not_evaluated"
        }
    }

    /// Parses the spellings of ``description`` (case-insensitive; `not evaluated` and `notevaluated` too).
    public init?(text: some StringProtocol) {
        switch text.lowercased() {
        case "pass": self = .pass
        case "warn": self = .warn
        case "fail": self = .fail
        case "error": self = .error
        case "not_evaluated", "not evaluated", "notevaluated": self = .notEvaluated
        default: return nil
        }
    }

    /// The code stored for a point with no outcome.
    public static let noneCode: UInt8 = 0
}
