/// The outcome of a check point.
///
/// Raw values are Tally's outcome codes: 1 pass, 2 warn, 3 fail, 4 error, 5 not evaluated.
///
/// soda-core 3.x writes `"pass"`, `"warn"`, `"fail"` or `null` (null = not evaluated: an anomaly
/// check with too little history, a schema-evolution check without a previous schema). `"error"` is
/// accepted for producers that report evaluation errors. Also read as not evaluated:
/// `"not_evaluated"`, `"notEvaluated"` (Soda Cloud's public API `evaluationStatus`) and
/// `"unevaluated"` (soda-core 4.x).
public enum SodaOutcome: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The check passed.
    case pass = 1
    /// The value is in the warn zone.
    case warn = 2
    /// The value is in the fail zone.
    case fail = 3
    /// The check could not be evaluated because of an error.
    case error = 4
    /// The check was not evaluated (Soda gave `null`).
    case notEvaluated = 5

    /// Tally's name: `pass`, `warn`, `fail`, `error`, `not_evaluated`.
    public var name: String {
        switch self {
        case .pass: return "pass"
        case .warn: return "warn"
        case .fail: return "fail"
        case .error: return "error"
        case .notEvaluated: return "not_evaluated"
        }
    }

    /// The value Soda writes for this outcome (`nil` = JSON `null`, Soda's not-evaluated).
    public var sodaValue: String? {
        self == .notEvaluated ? nil : name
    }

    /// Reads Soda's `outcome` value; `nil` when it is not one Soda uses.
    public init?(sodaValue: SodaJSON) {
        switch sodaValue {
        case .null: self = .notEvaluated
        case let .string(s):
            switch s {
            case "pass": self = .pass
            case "warn": self = .warn
            case "fail": self = .fail
            case "error": self = .error
            case "not_evaluated", "notEvaluated", "unevaluated": self = .notEvaluated
            default: return nil
            }
        default: return nil
        }
    }

    /// The name.
    public var description: String { name }
}
