/// A set of Unicode scalars kept as sorted, disjoint, non-adjacent ranges of code points: what a character class
/// (`[a-z]`, `\d`, `[[:alpha:]]`) stands for.
struct ScalarSet: Sendable, Hashable {
    /// The ranges, ascending; no two overlap or touch.
    private(set) var ranges: [ClosedRange<UInt32>] = []

    /// The largest code point.
    static let maxCodePoint: UInt32 = 0x10FFFF

    init() {}

    init(_ ranges: [ClosedRange<UInt32>]) {
        for range in ranges { insert(range) }
    }

    /// A set of one scalar.
    init(scalar: UInt32) {
        ranges = [scalar...scalar]
    }

    /// Adds a range, merging it with the ranges it overlaps or touches.
    mutating func insert(_ range: ClosedRange<UInt32>) {
        var lower = range.lowerBound, upper = range.upperBound
        // The first range that ends at or after lower - 1 (may merge), and the first that starts after upper + 1.
        let first = ranges.partitionPoint { $0.upperBound &+ 1 < lower }
        var last = first
        while last < ranges.count && ranges[last].lowerBound <= upper &+ 1 {
            lower = min(lower, ranges[last].lowerBound)
            upper = max(upper, ranges[last].upperBound)
            last += 1
        }
        ranges.replaceSubrange(first..<last, with: [lower...upper])
    }

    mutating func insert(contentsOf other: ScalarSet) {
        for range in other.ranges { insert(range) }
    }

    /// Every code point not in this set.
    func inverted() -> ScalarSet {
        var result = ScalarSet()
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.ranges.append(next...(range.lowerBound - 1)) }
            next = range.upperBound &+ 1
        }
        if next <= Self.maxCodePoint { result.ranges.append(next...Self.maxCodePoint) }
        return result
    }

    func contains(_ scalar: UInt32) -> Bool {
        let index = ranges.partitionPoint { $0.upperBound < scalar }
        return index < ranges.count && ranges[index].lowerBound <= scalar
    }

}

// MARK: - Built-in classes (ASCII, as in RE2 and Prometheus)

extension ScalarSet {
    /// `\d`: `[0-9]`.
    static let digits = ScalarSet([0x30...0x39])
    /// `\w`: `[0-9A-Za-z_]`.
    static let wordCharacters = ScalarSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    /// `\s`: `[\t\n\f\r ]`.
    static let whitespace = ScalarSet([0x09...0x0A, 0x0C...0x0D, 0x20...0x20])

    /// The POSIX classes written `[[:name:]]` inside a bracket expression, ASCII only as in RE2.
    static let posixClasses: [String: ScalarSet] = [
        "alnum": ScalarSet([0x30...0x39, 0x41...0x5A, 0x61...0x7A]),
        "alpha": ScalarSet([0x41...0x5A, 0x61...0x7A]),
        "ascii": ScalarSet([0x00...0x7F]),
        "blank": ScalarSet([0x09...0x09, 0x20...0x20]),
        "cntrl": ScalarSet([0x00...0x1F, 0x7F...0x7F]),
        "digit": .digits,
        "graph": ScalarSet([0x21...0x7E]),
        "lower": ScalarSet([0x61...0x7A]),
        "print": ScalarSet([0x20...0x7E]),
        "punct": ScalarSet([0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E]),
        "space": ScalarSet([0x09...0x0D, 0x20...0x20]),
        "upper": ScalarSet([0x41...0x5A]),
        "word": .wordCharacters,
        "xdigit": ScalarSet([0x30...0x39, 0x41...0x46, 0x61...0x66]),
    ]
}
