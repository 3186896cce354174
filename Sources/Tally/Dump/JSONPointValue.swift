import TallySoda
import TallyStorage

/// A point's value as Tally's JSON formats write it (`tally dump`, and what `tally ingest json` reads): a number,
/// `null` for no value, and the strings `"NaN"`, `"Infinity"` and `"-Infinity"`, which JSON has no numbers for.
enum JSONPointValue {
    /// The forms a value may take, for error messages.
    static let forms = "a number, null, \"NaN\", \"Infinity\" or \"-Infinity\""

    /// The JSON text of a column value: numbers in their shortest exact form.
    static func text(_ v: Double) -> String {
        if optionalValue(v) == nil { return "null" }
        if v.isNaN { return "\"NaN\"" }
        if v.isInfinite { return v < 0 ? "\"-Infinity\"" : "\"Infinity\"" }
        return v.description
    }

    /// The column value `json` stands for; nil when it is none of ``forms``, or a number beyond a Double's range.
    static func columnValue(of json: SodaJSON) -> Double? {
        switch json {
        case .null: return TallyStorage.columnValue(nil)
        case .number(let n): return Double(n.literal).flatMap { $0.isFinite ? $0 : nil }
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        default: return nil
        }
    }
}
