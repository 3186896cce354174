import Glibc

/// Formats a number for people: thousands separators, and rounded to a multiple of `unit` (a power of ten)
/// when one is given, otherwise to `significant` significant digits. Integers print exactly.
/// Examples: 1119.6 (unit 1) → "1,120"; 0.012345 → "0.01235"; -2500000 → "-2,500,000".
public func formatNumber(_ x: Double, significant: Int = 4, unit: Double? = nil) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x > 0 ? "∞" : "-∞" }
    if x == 0 { return "0" }
    let a = Swift.abs(x)
    if a >= 1e15 || a < 1e-6 {
        // Scientific notation, to `significant` digits or to the digits `unit` keeps (at most 17).
        var digits = significant
        if let unit, unit > 0 { digits = Int(floor(log10(a))) - Int(log10(unit).rounded()) + 1 }
        return formatScientific(x, significant: Swift.min(Swift.max(digits, 1), 17))
    }
    var decimals: Int
    if let unit, unit > 0 {
        decimals = Swift.max(0, -Int(log10(unit).rounded()))
    } else if isInteger(x) {
        decimals = 0
    } else {
        let e = Int(floor(log10(a)))
        decimals = Swift.max(0, significant - 1 - e)
    }
    decimals = Swift.min(decimals, 12)
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (a * scale).rounded()
    guard scaled < 9.0e18 else { return String(x) }
    let n = UInt64(scaled)
    let p = UInt64(scale)
    let intPart = n / p
    var frac = n % p
    var digits = String(intPart)
    var grouped = ""
    for (k, ch) in digits.enumerated() {
        if k > 0 && (digits.count - k) % 3 == 0 { grouped.append(",") }
        grouped.append(ch)
    }
    digits = grouped
    if decimals > 0 && frac > 0 {
        var fd = decimals
        while frac % 10 == 0 { frac /= 10; fd -= 1 }
        var f = String(frac)
        while f.count < fd { f = "0" + f }
        digits += "." + f
    }
    return (x < 0 && (intPart > 0 || frac > 0) ? "-" : "") + digits
}

/// `x` (finite, not 0) as `1.05e+304` or `-2.5e-7`: a mantissa of `significant` significant digits without
/// trailing zeros, and the exponent.
public func formatScientific(_ x: Double, significant: Int) -> String {
    let a = Swift.abs(x)
    var e = Int(floor(log10(a)))
    // 10^e is not a Double below about 1e-308: scale subnormal magnitudes up first.
    var m = e > -300 ? a / pow(10, Double(e)) : (a * 1e300) / pow(10, Double(e + 300))
    let scale = pow(10, Double(significant - 1))
    m = (m * scale).rounded() / scale
    if m >= 10 { m /= 10; e += 1 }
    if m < 1 { m *= 10; e -= 1 }   // log10 rounded up at an exact power of ten
    // The shortest text of the rounded mantissa (up to 17 digits; `formatNumber` would stop at 12 decimals).
    var mantissa = String(m)
    if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
    return (x < 0 ? "-" : "") + mantissa + "e" + (e < 0 ? "-" : "+") + String(Swift.abs(e))
}

/// Formats an expected range [lower, upper] with a rounding unit fine enough to tell the bounds apart
/// (about 1/100 of the width, and at least three significant digits), rounding outwards.
/// Infinite bounds (one-sided checks) read "at most …" / "at least …".
public func formatRange(lower: Double, upper: Double) -> String {
    if lower.isNaN || upper.isNaN { return "unknown" }
    if lower.isInfinite && upper.isInfinite { return "any value" }
    let unit = rangeUnit(lower: lower, upper: upper)
    if lower.isInfinite { return "at most " + formatNumber(roundUp(upper, unit), unit: unit) }
    if upper.isInfinite { return "at least " + formatNumber(roundDown(lower, unit), unit: unit) }
    if isPointBand(lower: lower, upper: upper) {
        return "exactly " + formatNumber(0.5 * (lower + upper), significant: 12)
    }
    return formatNumber(roundDown(lower, unit), unit: unit) + "–" + formatNumber(roundUp(upper, unit), unit: unit)
}

/// True when a finite range is a single value, to 1e-8 of its size (a constant series' band).
func isPointBand(lower: Double, upper: Double) -> Bool {
    lower.isFinite && upper.isFinite && upper - lower <= 1e-8 * Swift.max(Swift.abs(lower), Swift.abs(upper))
}

func rangeUnit(lower: Double, upper: Double) -> Double {
    let finite = [lower, upper].filter { $0.isFinite }
    let biggest = finite.map { Swift.abs($0) }.max() ?? 0
    var candidates: [Double] = []
    if biggest > 0 { candidates.append(pow(10, floor(log10(biggest)) - 2)) }
    if lower.isFinite && upper.isFinite && upper > lower { candidates.append(pow(10, floor(log10((upper - lower) / 100)))) }
    let u = candidates.min() ?? 1
    return Swift.max(u, 1e-9)
}

private func roundDown(_ x: Double, _ unit: Double) -> Double { floor(x / unit + 1e-9) * unit }
private func roundUp(_ x: Double, _ unit: Double) -> Double { ceil(x / unit - 1e-9) * unit }
