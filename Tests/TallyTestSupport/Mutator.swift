import TallyAnalysis

/// Seeded mutations of valid inputs, for the in-suite fuzz tests of the readers of untrusted text (queries, CSV,
/// Soda documents): flipped bits, random bytes, deletions, duplications, truncations, splices of two inputs and
/// insertions of words the format knows. Deterministic for a seed; never longer than `maximumLength`.
public struct Mutator {
    public var random: SeededGenerator
    public let tokens: [[UInt8]]
    public let maximumLength: Int

    public init(seed: UInt64, tokens: [String], maximumLength: Int) {
        random = SeededGenerator(seed: seed)
        self.tokens = tokens.map { Array($0.utf8) }
        self.maximumLength = maximumLength
    }

    public mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }

    /// One to four random edits of `input` (`other` is a second input to splice from).
    public mutating func mutate(_ input: [UInt8], splicingWith other: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<int(1..<5) {
            let count = bytes.count
            switch int(0..<10) {
            case 0 where count > 0: bytes[int(0..<count)] ^= UInt8(1) << UInt8(int(0..<8))
            case 1 where count > 0: bytes[int(0..<count)] = UInt8(int(0..<256))
            case 2: bytes.insert(UInt8(int(0..<256)), at: int(0..<count + 1))
            case 3 where count > 0:
                let start = int(0..<count)
                bytes.removeSubrange(start..<min(count, start + int(1..<9)))
            case 4 where count > 0:
                let start = int(0..<count)
                let piece = bytes[start..<min(count, start + int(1..<17))]
                bytes.insert(contentsOf: piece, at: int(0..<count + 1))
            case 5 where count > 0: bytes.removeSubrange(int(0..<count)...)
            case 6 where !other.isEmpty:
                let cut = int(0..<count + 1)
                let from = int(0..<other.count)
                bytes = Array(bytes[..<cut]) + Array(other[from..<min(other.count, from + int(1..<65))])
                    + Array(bytes[cut...])
            case 7 where !tokens.isEmpty, 8 where !tokens.isEmpty: bytes.insert(contentsOf: tokens[int(0..<tokens.count)], at: int(0..<count + 1))
            case 9 where !tokens.isEmpty && count > 0:
                let start = int(0..<count)
                bytes.replaceSubrange(start..<min(count, start + int(1..<6)), with: tokens[int(0..<tokens.count)])
            default: bytes.append(UInt8(int(0..<128)))
            }
        }
        if bytes.count > maximumLength { bytes.removeSubrange(maximumLength...) }
        return bytes
    }

    /// A random sequence of the format's words and a few random characters, joined by `separator`s.
    public mutating func tokenSoup(count: Int, separators: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<count {
            if int(0..<8) == 0 { bytes.append(UInt8(int(32..<127))) } else { bytes += tokens[int(0..<tokens.count)] }
            bytes += Array(separators[int(0..<separators.count)].utf8)
            if bytes.count >= maximumLength { break }
        }
        if bytes.count > maximumLength { bytes.removeSubrange(maximumLength...) }
        return bytes
    }
}
