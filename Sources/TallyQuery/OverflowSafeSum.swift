/// A running sum of doubles whose total and mean stay right when an intermediate sum overflows.
///
/// Adding `1.7e308 + 1.7e308 - 1.7e308` left to right gives ∞, although the total (1.7e308) is a double, and the
/// mean of `[1.7e308, 1.7e308]` would come out as ∞ too. Beside the plain sum this keeps a second sum of every
/// value scaled by 2⁻⁶⁴ (exact for every value above 2⁻⁹⁵⁸), which cannot overflow for fewer than 2⁶⁴ values;
/// it is used only when the plain sum overflowed without an infinite value among the inputs. Otherwise the
/// results are the plain sum's, bit for bit.
@frozen
public struct OverflowSafeSum: Sendable {
    /// The values added, left to right; ±∞ or NaN once an intermediate sum overflowed.
    @usableFromInline var plain = 0.0
    /// The values added, each times 2⁻⁶⁴.
    @usableFromInline var scaled = 0.0
    /// Whether an infinite value was added (then the plain sum is the answer: ±∞ or NaN).
    @usableFromInline var sawInfinity = false

    @usableFromInline static let scale = 0x1p-64
    @usableFromInline static let unscale = 0x1p64

    @inlinable public init() {}

    /// Adds one value, or the plain sum of several (a NaN stands for a sum that held both +∞ and −∞). Nulls and
    /// NaN values are the caller's to skip.
    @inlinable public mutating func add(_ v: Double) {
        plain += v
        scaled += v * Self.scale
        if !v.isFinite { sawInfinity = true }
    }

    /// Adds another sum.
    @inlinable public mutating func add(_ other: OverflowSafeSum) {
        plain += other.plain
        scaled += other.scaled
        sawInfinity = sawInfinity || other.sawInfinity
    }

    /// Whether the plain sum overflowed on the way (it is not finite although every value was).
    @inlinable var overflowed: Bool { !plain.isFinite && !sawInfinity }

    /// The total: ±∞ only when it does not fit in a double or a value was infinite; NaN when both +∞ and −∞ were
    /// added.
    @inlinable public var total: Double { overflowed ? scaled * Self.unscale : plain }

    /// The mean of `count` values (`count > 0`): finite whenever every value was.
    @inlinable public func mean(count: Int) -> Double {
        overflowed ? scaled / Double(count) * Self.unscale : plain / Double(count)
    }
}
