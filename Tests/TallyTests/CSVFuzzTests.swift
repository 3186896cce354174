import Testing
import Tally
import TallyTestSupport

/// Seeded random CSV files — mutations of valid imports and soups of CSV pieces — never crash the reader; every
/// rejection is an `InputError` naming the file, a line within the input, a column ≥ 1 when it has one, and what is
/// wrong.
/// Inputs are at most 2 KiB, so the time is bounded by the count.
@Suite("CSV import: seeded random input")
struct CSVFuzzTests {
    static let seeds = [
        "\u{FEFF}time,metric,value,note\r\n1,m,1,\"a, b\"\r\n2,m,2,\"say \"\"hi\"\"\"\r\n3,m,3,\"two\nlines\"\r\n\r\n",
        "time,metric,value,dataset\n1,m,,\n2,m,5,orders\n",
        "time,metric,value\n2024-05-01T06:00:00Z,m,1\n2024-05-01T08:00:00+02:00,m,1\n2024-05-01T06:00:00.123456Z,m,1\n1714543200000,m,1\n",
        "time,metric,value,outcome,dataset\n1714543200000,check,0,pass,orders\n1714543260000,check,3,fail,orders\n1714543320000,check,,error,x\n",
        "metric,time,value,column\nmissing_count,2024-05-01,-0.0,email\nmissing_count,2024-05-02,1e-300,email\nrow_count,2024-05-03,NaN,\n",
        "time,metric,value\n1,m,1.5\n",
    ]
    static let pieces = [
        ",", "\n", "\r\n", "\r", "\"", "\"\"", " ", "time", "metric", "value", "outcome", "dataset", "pass", "fail",
        "warn", "error", "not_evaluated", "1714543200000", "2024-05-01T06:00:00Z", "2024-02-30", "-1", "1e309",
        "NaN", "inf", "-0.0", "0x10", "m", "9bad", "a.b_c", "\u{FEFF}", "\u{0}", "é", "\\", ",,,,",
    ]

    @Test func mutatedAndGeneratedFilesAreReadOrRejectedWithAPosition() {
        var mutator = Mutator(seed: 0xC5F_0001, tokens: CSVFuzzTests.pieces, maximumLength: 2048)
        let seeds = CSVFuzzTests.seeds.map { Array($0.utf8) }
        var failures: [String] = []
        var accepted = 0
        var rejected = 0
        let mutations = 12_000
        let soups = 3_000
        for n in 0..<(mutations + soups) {
            let input = n < mutations
                ? mutator.mutate(seeds[n % seeds.count], splicingWith: seeds[mutator.int(0..<seeds.count)])
                : Array("time,metric,value,dataset\n".utf8) + mutator.tokenSoup(count: mutator.int(1..<60), separators: ["", ","])
            do throws(InputError) {
                let batch = try CSVImport.parse(input, fileName: "f.csv", origin: BatchOrigin(kind: "csv", source: "f.csv"))
                if batch.times.count != batch.pointCount || batch.values.count != batch.pointCount {
                    failures.append("columns disagree for \(String(decoding: input, as: UTF8.self).debugDescription)")
                }
                accepted += 1
            } catch {
                rejected += 1
                // Lines end at LF, CRLF or a lone CR (as editors count them).
                let lines = input.indices.count { input[$0] == 0x0A || (input[$0] == 0x0D && input[safe: $0 + 1] != 0x0A) } + 1
                if error.message.isEmpty || error.file != "f.csv" || (error.line ?? 0) < 1 || (error.line ?? 0) > lines
                    || (error.column ?? 1) < 1 {
                    failures.append("\(error) for \(String(decoding: input, as: UTF8.self).debugDescription)")
                }
            }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        #expect(accepted > 400, "only \(accepted) inputs were read")
        #expect(rejected > 3_000, "only \(rejected) inputs were rejected")
    }
}

private extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
