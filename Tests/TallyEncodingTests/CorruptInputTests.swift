#if canImport(Glibc)
import Glibc
#endif
import Testing
import TallyEncoding

/// Trials per corpus entry; raise with TALLY_FUZZ_TRIALS=100000 (and TALLY_FUZZ_SEED) for a longer soak.
let fuzzTrials = getenv("TALLY_FUZZ_TRIALS").flatMap { Int(String(cString: $0)) } ?? 400
let fuzzSeed = getenv("TALLY_FUZZ_SEED").flatMap { UInt64(String(cString: $0)) } ?? 0xC0FFEE

/// Corrupt-input fuzzing: random byte flips, truncations and garbage must never crash a decoder or make it touch
/// memory outside its input/output; it either throws ``EncodingError`` or decodes something.
@Suite("Corrupt input")
struct CorruptInputTests {
    enum Column {
        case times([Int64]), values([Double]), outcomes([UInt8]), lsns([UInt64])
        var count: Int {
            switch self {
            case .times(let t): t.count
            case .values(let v): v.count
            case .outcomes(let o): o.count
            case .lsns(let l): l.count
            }
        }
        func encode() -> [UInt8] {
            var w = ByteWriter()
            switch self {
            case .times(let t): TimestampCodec.encode(t, into: &w)
            case .values(let v): ValueCodec.encode(v, into: &w)
            case .outcomes(let o): OutcomeCodec.encode(o, into: &w)
            case .lsns(let l): LSNCodec.encode(l, into: &w)
            }
            return w.bytes
        }
        /// Decodes into an exactly sized heap buffer; returns true if it decoded, false if it threw.
        func decode(_ bytes: [UInt8], count: Int) -> Bool {
            // Exactly sized input copy so an over-read would leave the allocation.
            let input = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            defer { input.deallocate() }
            bytes.withUnsafeBytes { input.copyMemory(from: $0) }
            var r = ByteReader(UnsafeRawBufferPointer(input), baseOffset: 0)
            do {
                switch self {
                case .times:
                    let out = UnsafeMutableBufferPointer<Int64>.allocate(capacity: count)
                    defer { out.deallocate() }
                    try TimestampCodec.decode(&r, count: count, into: out)
                case .values:
                    let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
                    defer { out.deallocate() }
                    try ValueCodec.decode(&r, count: count, into: out)
                case .outcomes:
                    let out = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count)
                    defer { out.deallocate() }
                    try OutcomeCodec.decode(&r, count: count, into: out)
                case .lsns:
                    let out = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: count)
                    defer { out.deallocate() }
                    try LSNCodec.decode(&r, count: count, into: out)
                }
                #expect(r.offset <= bytes.count)
                return true
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count, "offset \(error.offset) of \(bytes.count)")
                return false
            }
        }
    }

    static func corpus() -> [(String, Column)] {
        var rng = SeededRNG(seed: 2024)
        let n = 300
        var walk = 10.0
        var counter = 0.0
        let jitter = (0..<n).map { Int64($0) * 60_000 + Int64.random(in: -500...500, using: &rng) }
        var withGaps = jitter
        for i in stride(from: 50, to: n, by: 50) { for j in i..<n { withGaps[j] += 60_000 } }
        let decimals = (0..<n).map { i in i % 40 == 3 ? NullValue.value : Double(Int.random(in: 0...9999, using: &rng)) / 1e4 }
        return [
            ("ts jitter", .times(jitter)),
            ("ts gaps", .times(withGaps)),
            ("ts second-rounded", .times(jitter.map { $0 / 1000 * 1000 })),
            ("ts runs", .times((0..<n).map { Int64($0 / 50) })),
            ("ts random", .times((0..<n).map { _ in Int64(bitPattern: rng.next()) })),
            ("ts squares", .times((0..<n).map { Int64($0 * $0) })),
            ("v counter", .values((0..<n).map { _ in counter += Double(Int.random(in: 0...50, using: &rng)); return counter })),
            ("v decimals+nulls", .values(decimals)),
            ("v walk", .values((0..<n).map { _ in walk += Double.random(in: -1...1, using: &rng); return walk })),
            ("v xor", .values((0..<n).map { i in Double(bitPattern: 0x4000_0000_0000_0000 | UInt64(i / 3 * 7919)) })),
            ("v sparse nulls", .values((0..<n).map { $0 == 7 ? NullValue.value : Double($0 % 5) })),
            ("v constant+nulls", .values((0..<n).map { $0 % 2 == 0 ? NullValue.value : 4.5 })),
            ("v specials", .values((0..<n).map { i in [0.5, -0.0, .infinity, .nan, 1e-310][i % 5] })),
            ("outcome runs", .outcomes((0..<n).map { UInt8($0 / 100) })),
            ("outcome packed", .outcomes((0..<n).map { _ in UInt8.random(in: 0...3, using: &rng) })),
            ("lsn runs", .lsns((0..<n).map { 100 + UInt64($0 / 100) })),
            ("lsn packed", .lsns((0..<n).map { UInt64($0) * 3 + 1 })),
        ]
    }

    @Test("byte flips, truncations and extensions never crash")
    func mutations() {
        var rng = SeededRNG(seed: fuzzSeed)
        for (name, column) in Self.corpus() {
            let good = column.encode()
            #expect(column.decode(good, count: column.count), "\(name) must decode unmodified")
            var threw = 0
            for trial in 0..<fuzzTrials {
                var bytes = good
                switch trial % 4 {
                case 0, 1:
                    for _ in 0..<Int.random(in: 1...3, using: &rng) {
                        let i = Int.random(in: 0..<bytes.count, using: &rng)
                        bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                    }
                case 2:
                    bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
                default:
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] = [0x00, 0xFF, 0x7F, 0x80, 0x40][trial % 5]
                }
                if !column.decode(bytes, count: column.count) { threw += 1 }
            }
            #expect(threw > 0, "\(name): some corruptions must be detected")
            // Truncation at every length must throw (nothing self-consistent is shorter).
            for cut in 0..<good.count {
                #expect(!column.decode(Array(good[0..<cut]), count: column.count), "\(name) cut at \(cut)")
            }
            // Wrong counts.
            _ = column.decode(good, count: column.count + 1)
            _ = column.decode(good, count: max(0, column.count - 1))
            _ = column.decode(good, count: 1)
        }
    }

    @Test("random garbage never crashes any decoder")
    func garbage() {
        var rng = SeededRNG(seed: fuzzSeed &+ 77)
        let kinds: [Column] = [.times([]), .values([]), .outcomes([]), .lsns([])]
        for trial in 0..<fuzzTrials * 10 {
            var bytes = (0..<Int.random(in: 0...48, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Start with a valid tag often, so the deeper parsers get exercised.
            let tags: [UInt8] = [0x11, 0x22, 0x23, 0x24, 0x25, 0x26, 0xA3, 0xA4, 0xA6, 0x41, 0x42, 0x51, 0x52]
            if !bytes.isEmpty && trial % 2 == 0 { bytes[0] = tags[trial % tags.count] }
            let count = Int.random(in: 0...200, using: &rng)
            for k in kinds { _ = k.decode(bytes, count: count) }
        }
    }
}
