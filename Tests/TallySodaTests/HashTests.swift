import Testing

@testable import TallySoda

/// Vectors from FIPS 180-4 / RFC 7693 and Python's hashlib (an independent implementation).
@Suite("SHA-256 and BLAKE2b")
struct HashTests {
    @Test("SHA-256 known answers")
    func sha256() {
        #expect(SHA256.hexHash([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexHash(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hexHash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexHash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let bytes = Array(0...255).map(UInt8.init)
        #expect(SHA256.hexHash(bytes + bytes + bytes) == "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363")
    }

    @Test("SHA-256 incremental equals one-shot")
    func sha256Incremental() {
        let data = Array(0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var hasher = SHA256()
        hasher.update(data[0..<63])
        hasher.update(data[63..<64])
        hasher.update(data[64...])
        #expect(hexString(hasher.finalize()) == SHA256.hexHash(data))
    }

    @Test("BLAKE2b known answers (full and truncated digests)")
    func blake2b() {
        #expect(BLAKE2b.hexHash(Array("abc".utf8), digestLength: 64)
            == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        #expect(BLAKE2b.hexHash([UInt8](), digestLength: 64).hasPrefix("786a02f742015903c6c6fd852552d272"))
        #expect(BLAKE2b.hexHash([UInt8](), digestLength: 4) == "1271cf25")
        #expect(BLAKE2b.hexHash(Array("abc".utf8), digestLength: 4) == "63906248")
        #expect(BLAKE2b.hexHash([UInt8](repeating: UInt8(ascii: "a"), count: 200), digestLength: 4) == "a955c32c")
        let bytes = Array(0...255).map(UInt8.init)
        #expect(BLAKE2b.hexHash(bytes, digestLength: 4) == "0f2e5c3b")
        #expect(BLAKE2b.hexHash(bytes, digestLength: 32).hasPrefix("39a7eb9fedc19aab"))
        #expect(BLAKE2b.hexHash(bytes, digestLength: 64).hasPrefix("1ecc896f34d3f9cac484c73f75f6a5fb"))
    }

    @Test("Soda identity hasher: facts' hand-checked value and Python str() rules")
    func identityHasher() {
        // soda-core-facts §1.3: blake2b(4)("valid_values"+"BE"+"NL"+"US") = 0af2e5c3
        #expect(SodaIdentityHasher.hash([.property("valid_values", .list([.string("BE"), .string("NL"), .string("US")]))]) == "0af2e5c3")
        #expect(SodaIdentityHasher.hash([.string("valid_values"), .string("BENLUS")]) == "0af2e5c3")
        #expect(SodaIdentityHasher.hash([.property("valid_values", nil), .none]) == nil)
        #expect(SodaIdentityHasher.hash([.bool(true)]) == SodaIdentityHasher.hash([.string("True")]))
        #expect(SodaIdentityHasher.hash([.dict([("a", .number(SodaNumber(1)))])]) == SodaIdentityHasher.hash([.string("a1")]))
    }
}
