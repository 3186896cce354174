/// Numbers for strings: each distinct string (by Swift's equality, which is canonical equivalence) gets one,
/// in the order they arrive. A dictionary decides; in front of it a table of ASCII strings' bytes, probed with a
/// cheap hash, answers the common case (label names and values of data-quality series are nearly always ASCII)
/// without hashing the string with SipHash.
///
/// The byte table is only a cache: a string it does not hold (not ASCII, or its probe ran long) goes to the
/// dictionary, so two equal strings always get the same number, even when one is not ASCII ("K" and the Kelvin
/// sign are equal strings).
struct StringNumbers: Sendable {
    /// Strings by number.
    private(set) var strings: [String] = []
    private var numbers: [String: UInt32] = [:]
    /// Open addressing: `number + 1` of a cached ASCII string, 0 when empty. At most half full.
    private var slots: [UInt32] = []
    private var cachedCount = 0
    /// The bytes of the cached strings, back to back, and per number where they are (`start << 32 | length`).
    private var cachedBytes: [UInt8] = []
    private var spans: [UInt64] = []
    /// Probes never run longer than this: a string that would need more is left to the dictionary.
    private static let maxProbe = 32
    /// Mixed into every hash, so that which strings collide differs from one process to the next.
    private static let seed = UInt64.random(in: 1...UInt64.max)

    /// The number of `string`, giving it the next number when it is new.
    mutating func intern(_ string: String) -> UInt32 {
        if let cached = string.utf8.withContiguousStorageIfAvailable({ find($0) }) ?? nil { return cached }
        let number: UInt32
        if let known = numbers[string] {
            number = known
        } else {
            number = UInt32(strings.count)
            strings.append(string)
            numbers[string] = number
        }
        _ = string.utf8.withContiguousStorageIfAvailable { cache($0, number) }
        return number
    }

    /// The number of the string whose UTF-8 bytes these are, giving it the next number when it is new. A string
    /// is made only when the bytes are not an ASCII string already numbered.
    mutating func intern(utf8 bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        if let cached = find(bytes) { return cached }
        return intern(String(decoding: bytes, as: UTF8.self))
    }

    /// The number of `string`, if it has one.
    func number(of string: String) -> UInt32? {
        if let cached = string.utf8.withContiguousStorageIfAvailable({ find($0) }) ?? nil { return cached }
        return numbers[string]
    }

    @inline(__always) private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }

    /// A multiply-xor hash of the bytes, eight at a time.
    @inline(__always) private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
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

    private func find(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard !slots.isEmpty, StringNumbers.isASCII(bytes) else { return nil }
        let mask = slots.count - 1
        var i = StringNumbers.hash(bytes) & mask
        for _ in 0..<StringNumbers.maxProbe {
            let slot = slots[i]
            if slot == 0 { return nil }
            if cachedBytesEqual(slot - 1, bytes) { return slot - 1 }
            i = (i + 1) & mask
        }
        return nil
    }

    private mutating func cache(_ bytes: UnsafeBufferPointer<UInt8>, _ number: UInt32) {
        guard StringNumbers.isASCII(bytes), cachedBytes.count + bytes.count < Int(UInt32.max) else { return }
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
                return
            }
            i = (i + 1) & mask
        }
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
