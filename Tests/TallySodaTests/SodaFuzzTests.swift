import Testing
import TallySoda
import TallyTestSupport

/// Seeded random Soda documents never crash the reader. Two kinds of input: byte-level mutations of the fixture
/// scans (mostly JSON syntax errors), and structural mutations — a value replaced by one of another type, a
/// member removed or renamed — written back as JSON (mostly shape errors deep inside a valid document). Every
/// rejection is a `SodaError` with a message; syntax errors carry a line and column inside the text, shape errors
/// a JSON path. Accepted scans convert to write batches. Inputs are at most 40 KiB (the
/// fixtures are 5–18 KiB).
@Suite("Soda documents: seeded random input")
struct SodaFuzzTests {
    static let fixtures = ["results1.json", "fresh.json", "series_result_01.json", "series_result_12.json"]
    static let tokens = ["{", "}", "[", "]", ",", ":", "\"", "\\u", "\\ud800", "null", "true", "false", "-0", "1e999",
                         "0.1", "\"outcome\"", "\"pass\"", "\"passed\"", "\"value\"", "\"dataTimestamp\"",
                         "\"2024-05-01T06:00:00+00:00\"", "\"checks\"", "\"metrics\"", "\"token\"", "\u{FEFF}", "\u{0}",
                         "é", "\"\\\"\""]

    static func load() throws -> [[UInt8]] {
        try fixtures.map { try SharedData.bytes("fixtures/soda/" + $0) }
    }

    static func check(_ bytes: [UInt8], failures: inout [String]) -> Bool {
        do throws(SodaError) {
            let scan = try SodaScan.parse(bytes)
            _ = scan.writeBatch(source: "fuzz.json")
            return true
        } catch {
            let lines = bytes.count { $0 == 0x0A } + 1
            if error.message.isEmpty { failures.append("an error without a message") }
            if error.kind == .syntax && (error.line == nil || error.column == nil) {
                failures.append("a syntax error without a position: \(error)")
            }
            if let line = error.line, let column = error.column, line < 1 || line > lines || column < 1 {
                failures.append("position outside the text: \(error)")
            }
            if error.kind == .invalid && error.line == nil { failures.append("a shape error without a position: \(error)") }
            return false
        }
    }

    @Test func mutatedDocumentBytesAreReadOrRejectedWithAPosition() throws {
        let seeds = try SodaFuzzTests.load()
        var mutator = Mutator(seed: 0x50DA_0001, tokens: SodaFuzzTests.tokens, maximumLength: 40_000)
        var failures: [String] = []
        var accepted = 0
        let count = 800
        for n in 0..<count {
            let input = mutator.mutate(seeds[n % seeds.count], splicingWith: seeds[mutator.int(0..<seeds.count)])
            if SodaFuzzTests.check(input, failures: &failures) { accepted += 1 }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        #expect(accepted > 30, "only \(accepted) of \(count) mutated documents were read")
        #expect(accepted < count - 200, "too few mutated documents were rejected (\(count - accepted))")
    }

    /// A random node of `json` replaced by `replace`; `k` picks the node (depth-first order).
    static func replacing(_ json: SodaJSON, at k: inout Int, with replace: (SodaJSON) -> SodaJSON?) -> SodaJSON? {
        if k == 0 { k -= 1; return replace(json) }
        k -= 1
        switch json {
        case .array(let items):
            var out: [SodaJSON] = []
            for item in items {
                if k < 0 { out.append(item); continue }
                if let new = replacing(item, at: &k, with: replace) { out.append(new) }
            }
            return .array(out)
        case .object(let object):
            var members: [SodaJSONObject.Member] = []
            for member in object {
                if k < 0 { members.append(member); continue }
                if let new = replacing(member.value, at: &k, with: replace) {
                    members.append(SodaJSONObject.Member(key: member.key, value: new))
                }
            }
            return .object(SodaJSONObject(members))
        default:
            return json
        }
    }

    static func nodeCount(_ json: SodaJSON) -> Int {
        switch json {
        case .array(let items): return 1 + items.reduce(0) { $0 + nodeCount($1) }
        case .object(let object): return 1 + object.reduce(0) { $0 + nodeCount($1.value) }
        default: return 1
        }
    }

    @Test func structurallyMutatedDocumentsAreReadOrRejectedWithAPathAndPosition() throws {
        let seeds = try SodaFuzzTests.load().map { try SodaJSONParser.parse($0) }
        var mutator = Mutator(seed: 0x50DA_0002, tokens: [], maximumLength: 1 << 20)
        let replacements: [SodaJSON] = [
            .null, .bool(true), .string(""), .string("passed"), .string("2024-13-01T00:00:00Z"), .string("not a time"),
            .number(SodaNumber(-1)), .number(SodaNumber(literal: "1e400")!), .number(SodaNumber(literal: "0.5")!),
            .array([]), .array([.null]), .object(SodaJSONObject()),
        ]
        var failures: [String] = []
        var accepted = 0
        let count = 400
        for n in 0..<count {
            let seed = seeds[n % seeds.count]
            var k = mutator.int(0..<SodaFuzzTests.nodeCount(seed))
            let choice = mutator.int(0..<(replacements.count + 2))
            let mutated = SodaFuzzTests.replacing(seed, at: &k) { node in
                if choice < replacements.count { return replacements[choice] }
                if choice == replacements.count { return nil }  // removed
                // An object with one member renamed.
                guard case .object(let object) = node, !object.members.isEmpty else { return .null }
                var members = object.members
                let i = members.count / 2
                members[i] = SodaJSONObject.Member(key: members[i].key + "_", value: members[i].value)
                return .object(SodaJSONObject(members))
            } ?? .null
            let bytes = SodaJSONWriter.bytes(mutated, sortKeys: n % 2 == 0)
            if SodaFuzzTests.check(bytes, failures: &failures) { accepted += 1 }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        #expect(accepted > 40, "only \(accepted) of \(count) mutated documents were read")
        #expect(accepted < count - 40, "too few mutated documents were rejected (\(count - accepted))")
    }
}
