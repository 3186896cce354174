/// A JSON number kept exactly as it was written.
///
/// Soda writes Python `int`s without a fraction (`10`) and `float`s with one (`10.0`,
/// `7.569125885243729`). That difference matters: change-over-time arithmetic stays integer only
/// when both operands are integers, and Soda Cloud answers `10`, not `10.0`. So a number is stored
/// as its literal text, and every derived view (``isInteger``, ``int64Value``, ``doubleValue``)
/// is computed from that text.
///
/// Equality and hashing compare the literal: `10` and `10.0` are different numbers here.
public struct SodaNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number exactly as written in the JSON text, e.g. `"10"`, `"10.0"`, `"-1.5e3"`.
    public let literal: String

    /// Creates a number from a JSON number literal; `nil` when `literal` is not valid JSON number
    /// syntax (RFC 8259: optional minus, no leading zeros, optional fraction and exponent).
    public init?(literal: String) {
        guard SodaNumber.isValidLiteral(Array(literal.utf8)) else { return nil }
        self.literal = literal
    }

    /// Creates an integer number (`isInteger == true`).
    public init(_ value: Int64) {
        self.literal = String(value)
    }

    /// Creates an integer number (`isInteger == true`).
    public init(_ value: Int) {
        self.literal = String(value)
    }

    /// Creates a decimal number from a `Double`, written the way Python's `repr(float)` writes it
    /// for ordinary values (`10.0`, `0.1`, `7.569125885243729`, `1e-05`). `nil` for NaN or infinity,
    /// which JSON cannot carry.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        var text = "\(value)"
        if !text.contains(".") && !text.contains("e") && !text.contains("E") {
            text += ".0"
        }
        self.literal = text
    }

    init(unchecked literal: String) {
        self.literal = literal
    }

    /// `true` when the literal has neither a fraction nor an exponent (`10`, `-3`), i.e. Soda sent a
    /// Python `int`. `10.0` and `1e2` are not integers in this sense.
    public var isInteger: Bool {
        !literal.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
    }

    /// The value as `Int64` when ``isInteger`` is `true` and it fits; otherwise `nil`.
    public var int64Value: Int64? {
        isInteger ? Int64(literal) : nil
    }

    /// The value as the nearest `Double` (always available; very large integers lose precision).
    public var doubleValue: Double {
        Double(literal) ?? .nan
    }

    /// The literal text.
    public var description: String { literal }

    static func isValidLiteral(_ bytes: [UInt8]) -> Bool {
        var index = 0
        let count = bytes.count
        func digit(_ i: Int) -> Bool { i < count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") }
        if index < count && bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard digit(index) else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while digit(index) { index += 1 }
        }
        if index < count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digit(index) else { return false }
            while digit(index) { index += 1 }
        }
        if index < count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            if index < count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard digit(index) else { return false }
            while digit(index) { index += 1 }
        }
        return index == count
    }
}

/// What a JSON number is as a whole number: exact from its literal, so `1e3`, `1000.0` and `1.5e3` are whole and
/// `1.5` or `1e-3` are not.
public enum WholeNumberReading: Sendable, Equatable {
    case whole(Int64)
    case fraction
    /// Whole, but outside `Int64`.
    case outOfRange
}

extension SodaNumber {
    /// The number as a whole `Int64`, read exactly from the literal (no `Double` rounding).
    public var wholeNumber: WholeNumberReading {
        var rest = Substring(literal)
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        var exponent = 0
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            var text = rest[rest.index(after: e)...]
            let negativeExponent = text.first == "-"
            if text.first == "-" || text.first == "+" { text = text.dropFirst() }
            // Saturates: a mantissa of at most a few thousand digits cannot undo an exponent of a million.
            for digit in text.utf8 { exponent = min(1_000_000, exponent * 10 + Int(digit - UInt8(ascii: "0"))) }
            if negativeExponent { exponent = -exponent }
            rest = rest[..<e]
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? parts[1] : ""
        var digits = Substring(String(parts[0]) + String(fraction)).drop { $0 == "0" }
        if digits.isEmpty { return .whole(0) }
        exponent -= fraction.count
        while digits.last == "0" {
            digits = digits.dropLast()
            exponent += 1
        }
        if exponent < 0 { return .fraction }
        if digits.count + exponent > 19 { return .outOfRange }
        let text = (negative ? "-" : "") + digits + String(repeating: "0", count: exponent)
        return Int64(text).map(WholeNumberReading.whole) ?? .outOfRange
    }
}
