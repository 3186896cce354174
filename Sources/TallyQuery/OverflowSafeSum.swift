/// A running sum of doubles whose total and mean stay right when an intermediate sum overflows.
///
/// Adding `1.7e308 + 1.7e308 - 1.7e308` left to right gives ∞, although the total (1.7e308) is a double, and the
/// mean of `[1.7e308, 1.7e308]` would come out as ∞ too. Beside the plain sum this keeps a second sum of every
/// value scaled by 2⁻⁶⁴ (exact for every value above 2⁻⁹⁵⁸), which cannot overflow for fewer than 2⁶⁴ finite
/// values; it is used whenever the plain sum is not finite, so infinities and NaN come out as IEEE arithmetic on the
/// exact sum gives them, whatever the order (`[big, big, -∞]` and `[-∞, big, big]` both sum to −∞). Otherwise the
/// results are the plain sum's, bit for bit.
@frozen
public struct OverflowSafeSum: Sendable {
    /// The values added, left to right; ±∞ or NaN once an intermediate sum overflowed.
    @usableFromInline var plain = 0.0
    /// The values added, each times 2⁻⁶⁴.
    @usableFromInline var scaled = 0.0

    @usableFromInline static let scale = 0x1p-64
    @usableFromInline static let unscale = 0x1p64

    /// An empty sum (0).
    @inlinable public init() {}

    /// Adds one value (±∞ and NaN included), or the plain sum of several.
    @inlinable public mutating func add(_ v: Double) {
        plain += v
        scaled += v * Self.scale
    }

    /// Adds another sum.
    @inlinable public mutating func add(_ other: OverflowSafeSum) {
        plain += other.plain
        scaled += other.scaled
    }

    /// The total: ±∞ only when it does not fit in a double or a value was infinite; NaN when both +∞ and −∞ (or a
    /// NaN) were added.
    @inlinable public var total: Double { plain.isFinite ? plain : scaled * Self.unscale }

    /// The mean of `count` values (`count > 0`): finite whenever every value was.
    @inlinable public func mean(count: Int) -> Double {
        plain.isFinite ? plain / Double(count) : scaled / Double(count) * Self.unscale
    }
}
