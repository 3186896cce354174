import Glibc

/// SplitMix64: a tiny, fast, seedable generator (Steele, Lea & Flood 2014). Deterministic across platforms,
/// so tests, benchmarks and generated example series are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator; the same seed always yields the same sequence.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal variate (Box–Muller, one of the pair).
    public mutating func nextGaussian() -> Double {
        var u = nextUnit()
        while u <= 0 { u = nextUnit() }
        let v = nextUnit()
        return sqrt(-2 * log(u)) * cos(2 * Double.pi * v)
    }

    /// A Poisson variate with mean `lambda` (Knuth for small means, a normal approximation above 60).
    public mutating func nextPoisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda > 60 { return Swift.max(0, Int((lambda + sqrt(lambda) * nextGaussian()).rounded())) }
        let limit = exp(-lambda)
        var k = 0
        var p = nextUnit()
        while p > limit {
            k += 1
            p *= nextUnit()
        }
        return k
    }
}
