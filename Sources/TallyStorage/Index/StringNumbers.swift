/// Numbers for strings: each distinct string (by Swift's equality, which is canonical equivalence) gets one,
/// in the order they arrive. ASCII strings — label names and values of data-quality series nearly always are — are
/// kept as bytes in an open-addressing table probed with a cheap hash, with no dictionary and no SipHash.
///
/// A dictionary by string value is made only when a string does not fit the table (it is not ASCII, or its probe
/// would run long); from then on it holds every string, so two equal strings always get the same number even when
/// one is not ASCII ("K" and the Kelvin sign are equal strings). Until then the table holds every string.
struct StringNumbers: Sendable {
    /// Strings by number.
    private(set) var strings: [String] = []
    /// Every string by value, once some string could not be kept in the byte table; nil until then.
    private var numbers: [String: UInt32]?
    /// Open addressing: `number + 1` of a cached ASCII string, 0 when empty. At most half full.
    private var slots: [UInt32] = []
    private var cachedCount = 0
    /// The bytes of the cached strings, back to back, and per number where they are (`start << 32 | length`).
    private var cachedBytes: [UInt8] = []
    private var spans: [UInt64] = []
    /// Inserts never probe further than this: a string that would need more goes to the dictionary. Linear
    /// probing at half load with a good hash reaches 17–32 slots among 10,000 strings now and then (20 simulated
    /// runs, docs/performance.md), so the bound is far above that; it only caps what colliding strings made on
    /// purpose could cost.
    private static let maxProbe = 256
    /// Mixed into every hash, so that which strings collide differs from one process to the next.
    private static let seed = UInt64.random(in: 1...UInt64.max)

    /// The number of `string`, giving it the next number when it is new.
    mutating func intern(_ string: String) -> UInt32 {
        var copy = string
        return copy.withUTF8 { intern(bytes: $0, string: string) }
    }

    /// The number of the string whose UTF-8 bytes these are, giving it the next number when it is new. A string
    /// is made only when the bytes are new.
    mutating func intern(utf8 bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        intern(bytes: bytes, string: nil)
    }

    private mutating func intern(bytes: UnsafeBufferPointer<UInt8>, string: String?) -> UInt32 {
        let text = { string ?? String(decoding: bytes, as: UTF8.self) }
        if StringNumbers.isASCII(bytes) {
            if let known = find(bytes) { return known }
            // Not in the table: new, unless the dictionary holds an equal string that is not ASCII.
            let value = text()
            if let known = numbers?[value] { return known }
            let number = append(value)
            if !cache(bytes, number) { makeDictionary() }
            numbers?[value] = number
            return number
        }
        let value = text()
        makeDictionary()
        if let known = numbers![value] { return known }
        let number = append(value)
        numbers![value] = number
        return number
    }

    /// Whether the dictionary has been made (for tests: ASCII strings alone should never need it).
    var hasDictionary: Bool { numbers != nil }

    private mutating func append(_ string: String) -> UInt32 {
        strings.append(string)
        return UInt32(strings.count - 1)
    }

    /// Makes the dictionary of every string so far, if there is none yet.
    private mutating func makeDictionary() {
        guard numbers == nil else { return }
        var all: [String: UInt32] = [:]
        all.reserveCapacity(strings.count + 1)
        for (number, string) in strings.enumerated() { all[string] = UInt32(number) }
        numbers = all
    }

    /// The number of `string`, if it has one.
    func number(of string: String) -> UInt32? {
        var copy = string
        return copy.withUTF8 { bytes -> UInt32? in
            if StringNumbers.isASCII(bytes) { return find(bytes) ?? numbers?[string] }
            if let numbers { return numbers[string] }
            // Every string so far is ASCII, so only a string equal to an ASCII one can match: look up that one.
            guard var ascii = StringNumbers.asciiEquivalent(of: string) else { return nil }
            return ascii.withUTF8 { find($0) }
        }
    }

    /// The ASCII string that `string` (not ASCII) equals, if there is one. Swift compares strings by canonical
    /// equivalence, and exactly three scalars outside ASCII are canonically equivalent to an ASCII character: the
    /// Greek question mark (to ";"), the Greek varia (to "`") and the Kelvin sign (to "K") — no composition makes
    /// an ASCII character, and Unicode's stability policy keeps these mappings fixed (a test checks every scalar).
    static func asciiEquivalent(of string: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf8.count)
        for scalar in string.unicodeScalars {
            if scalar.isASCII { bytes.append(UInt8(scalar.value)); continue }
            guard let byte = asciiScalarEquivalents[scalar.value] else { return nil }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The scalars outside ASCII that are canonically equivalent to an ASCII character, and that character.
    static let asciiScalarEquivalents: [UInt32: UInt8] = [0x037E: 0x3B, 0x1FEF: 0x60, 0x212A: 0x4B]

    @inline(__always) private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }

    /// A multiply-xor hash of the bytes, eight at a time, seeded per process.
    @inline(__always) static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        var i = 0
        let raw = UnsafeRawBufferPointer(bytes)
        while i + 8 <= bytes.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < bytes.count {
            var tail: UInt64 = 0
            for k in i..<bytes.count { tail |= UInt64(bytes[k]) << (UInt64(k - i) * 8) }
            h = (h ^ tail) &* 0xFF51_AFD7_ED55_8CCD
        }
        h ^= h >> 29
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 32
        return Int(truncatingIfNeeded: h)
    }

    private func cachedBytesEqual(_ number: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let span = spans[Int(number)]
        let start = Int(span >> 32), length = Int(span & 0xFFFF_FFFF)
        guard length == bytes.count else { return false }
        return cachedBytes.withUnsafeBufferPointer { stored in
            for k in 0..<length where stored[start + k] != bytes[k] { return false }
            return true
        }
    }

    /// The number of cached ASCII bytes. Without a dictionary every string is in the table, so the probe runs
    /// to an empty slot; with one, a string the table lacks may be in the dictionary, and the probe stops early.
    private func find(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var i = StringNumbers.hash(bytes) & mask
        var probes = 0
        while numbers == nil || probes < StringNumbers.maxProbe {
            let slot = slots[i]
            if slot == 0 { return nil }
            if cachedBytesEqual(slot - 1, bytes) { return slot - 1 }
            i = (i + 1) & mask
            probes += 1
        }
        return nil
    }

    /// Keeps ASCII bytes in the table under `number`; false when the probe would run long (or the bytes are too
    /// many), and the string must go to the dictionary instead.
    private mutating func cache(_ bytes: UnsafeBufferPointer<UInt8>, _ number: UInt32) -> Bool {
        guard cachedBytes.count + bytes.count < Int(UInt32.max) else { return false }
        if (cachedCount + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var i = StringNumbers.hash(bytes) & mask
        for _ in 0..<StringNumbers.maxProbe {
            if slots[i] == 0 {
                if spans.count <= Int(number) { spans.append(contentsOf: repeatElement(0, count: Int(number) + 1 - spans.count)) }
                spans[Int(number)] = UInt64(cachedBytes.count) << 32 | UInt64(bytes.count)
                cachedBytes.append(contentsOf: bytes)
                slots[i] = number + 1
                cachedCount += 1
                return true
            }
            i = (i + 1) & mask
        }
        return false
    }

    private mutating func grow() {
        let capacity = max(64, slots.count * 2)
        let old = slots
        slots = [UInt32](repeating: 0, count: capacity)
        let mask = capacity - 1
        cachedBytes.withUnsafeBufferPointer { stored in
            for slot in old where slot != 0 {
                let span = spans[Int(slot - 1)]
                let bytes = UnsafeBufferPointer(rebasing: stored[Int(span >> 32)..<(Int(span >> 32) + Int(span & 0xFFFF_FFFF))])
                var i = StringNumbers.hash(bytes) & mask
                while slots[i] != 0 { i = (i + 1) & mask }
                slots[i] = slot
            }
        }
    }
}
