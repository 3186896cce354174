import TallyEncoding

/// A small deterministic generator (SplitMix64) so every randomized test is reproducible.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The counts the brief asks every codec to survive.
let edgeCounts = [1, 2, 3, 63, 64, 65, 1000, 100_000]

func encodeTimes(_ t: [Int64]) -> [UInt8] {
    var w = ByteWriter()
    TimestampCodec.encode(t, into: &w)
    return w.bytes
}

/// Decodes with a reader and also checks that exactly the encoded bytes were consumed.
func decodeTimes(_ bytes: [UInt8], count: Int) throws -> [Int64] {
    try bytes.withUnsafeBytes { raw in
        var r = ByteReader(raw)
        let out = try TimestampCodec.decode(&r, count: count)
        guard r.isAtEnd else { throw EncodingError(.corrupt, offset: r.offset, "trailing bytes") }
        return out
    }
}

func encodeValues(_ v: [Double]) -> ([UInt8], ValueEncoding) {
    var w = ByteWriter()
    let e = ValueCodec.encode(v, into: &w)
    return (w.bytes, e)
}

func decodeValues(_ bytes: [UInt8], count: Int) throws -> [Double] {
    try bytes.withUnsafeBytes { raw in
        var r = ByteReader(raw)
        let out = try ValueCodec.decode(&r, count: count)
        guard r.isAtEnd else { throw EncodingError(.corrupt, offset: r.offset, "trailing bytes") }
        return out
    }
}

func bitsEqual(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// Index of the first differing bit pattern, for failure messages.
func firstMismatch(_ a: [Double], _ b: [Double]) -> String {
    if a.count != b.count { return "count \(a.count) vs \(b.count)" }
    for i in 0..<a.count where a[i].bitPattern != b[i].bitPattern {
        return "index \(i): \(a[i]) (0x\(String(a[i].bitPattern, radix: 16))) vs \(b[i]) (0x\(String(b[i].bitPattern, radix: 16)))"
    }
    return "equal"
}

/// Runs `body` with a reader over `bytes` (read into a local before `#expect`: `#expect(try r.read...())` does not compile with an inout reader).
@discardableResult
func withReader<T>(_ bytes: [UInt8], baseOffset: Int = 0, _ body: (inout ByteReader) throws -> T) throws -> T {
    try bytes.withUnsafeBytes { raw in
        var r = ByteReader(raw, baseOffset: baseOffset)
        return try body(&r)
    }
}

/// The `EncodingError` thrown by `body`, or nil if it did not throw.
func encodingError(_ body: () throws -> Void) -> EncodingError? {
    do {
        try body()
        return nil
    } catch let e as EncodingError {
        return e
    } catch {
        return EncodingError(.init(rawValue: "unexpected"), offset: -1, "\(error)")
    }
}
