#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import FuzzDriver
import Tally

/// The program's entry point (SwiftPM calls it `FuzzDumpLoad_main`): hands over to libFuzzer.
@_cdecl("FuzzDumpLoad_main")
public func fuzzDumpLoadMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzDumpLoad(data!, size) }
}

/// Dump streams (`tally load`): `StoreDump.parse`, then, for a dump it accepts, what `tally load` does with it:
/// `StoreDump.load` into a new store (in a fresh directory under $TALLY_FUZZ_TMP, default /dev/shm, per input).
///
/// A rejection must be `StoreError.invalid` with an `InputError` naming the source, with a message, and a line ≥ 1
/// (or, for the checks of the whole dump, a field), a column ≥ 1 when it has one. An accepted dump must load; the
/// loaded store dumped again (`StoreDump.write`) must parse, and hold what the input held: the same series,
/// batches, documents, verdicts, API keys, check feedback and points (compared field by field, with the defaults
/// the reader gives missing fields). With TALLY_FUZZ_DUMP_LOAD=0 only the parser runs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDumpLoad(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size <= 65536 else { return -1 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = printCountsAtExit
    counts.inputs += 1
    let contents: StoreDump.Contents
    do throws(StoreError) {
        contents = try StoreDump.parse(bytes, source: "fuzz.dump")
    } catch {
        guard case .invalid(let input) = error else { fail("a rejection that is not an input error: \(error)") }
        require(!input.message.isEmpty, "an error without a message")
        require(input.file == "fuzz.dump", "an error without the source: \(input)")
        require((input.line ?? 0) >= 1 || (input.line == nil && input.field != nil), "an error without a line: \(input)")
        require((input.column ?? 1) >= 1, "a column below 1: \(input)")
        return 0
    }
    counts.accepted += 1
    guard loadAccepted else { return 0 }
    let expected = DumpModel(bytes)

    counts.loaded += 1
    let directory = scratch + "/store"
    defer { Directory.removeTree(directory) }
    var again: [UInt8] = []
    do throws(StoreError) {
        let store = try Store.open(at: directory)
        do throws(StoreError) {
            try StoreDump.load(contents, into: store)
            try StoreDump.write(store) { line in
                again.append(contentsOf: line.utf8)
                again.append(0x0A)
            }
        } catch {
            try? store.close()
            throw error
        }
        try store.close()
    } catch {
        fail("an accepted dump does not load (or the loaded store does not dump): \(error)")
    }
    do throws(StoreError) {
        _ = try StoreDump.parse(again, source: "again.dump")
    } catch {
        fail("the dump of a loaded store does not parse: \(error)\n\(String(decoding: again, as: UTF8.self))")
    }
    let found = DumpModel(again)
    for (what, a, b) in expected.parts(comparedWith: found) where a != b {
        fail("the loaded store's \(what) differ from the dump's:\n  dump:   \(a.filter { !b.contains($0) })\n"
             + "  loaded: \(b.filter { !a.contains($0) })")
    }
    return 0
}

/// How many inputs were run, accepted and loaded into a store: printed at exit like libFuzzer's `stat::` lines.
nonisolated(unsafe) var counts: (inputs: Int, accepted: Int, loaded: Int) = (0, 0, 0)
let printCountsAtExit: Void = {
    atexit {
        let text = Array(("stat::dump_inputs_accepted:     \(counts.accepted) of \(counts.inputs)\n"
                          + "stat::dump_loaded_into_a_store: \(counts.loaded)\n").utf8)
        _ = write(2, text, text.count)
    }
}()

/// Whether accepted dumps are loaded into a store (TALLY_FUZZ_DUMP_LOAD=0: no).
let loadAccepted: Bool = getenv("TALLY_FUZZ_DUMP_LOAD").map { String(cString: $0) != "0" } ?? true

/// This process's scratch directory (a store is made in it and removed for each accepted input).
let scratch: String = {
    let base = getenv("TALLY_FUZZ_TMP").map { String(cString: $0) } ?? "/dev/shm"
    var template = Array((base + "/tally-fuzz-dump.XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { fail("mkdtemp in \(base) failed (errno \(errno))") }
    let path = String(cString: made)
    scratchToRemove = path
    atexit { Directory.removeTree(scratchToRemove) }
    return path
}()
nonisolated(unsafe) var scratchToRemove = ""

/// What a dump holds, as comparable text: each line read with the defaults `StoreDump.parse` gives missing fields,
/// points gathered per series and ordered by time. Only for dumps `StoreDump.parse` accepted.
struct DumpModel {
    var series: [String] = [], imports: [String] = [], documents: [String] = [], verdicts: [String] = []
    var keys: [String] = [], checkFeedback: [String] = [], points: [String] = []

    init(_ bytes: [UInt8]) {
        var perSeries: [Int64: [(Int64, String)]] = [:]
        // An import without point_count is given the number of its points the dump holds.
        var heldPerBatch: [Int64: Int64] = [:]
        var importLines: [(lsn: Int64?, pointCount: Int64?, text: (Int64) -> String)] = []
        var first = true
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            guard let json = try? SodaJSONParser.parse(Array(line)) else { fail("a line of an accepted dump does not parse") }
            if first { first = false; continue }
            if let s = json["series"] {
                let labels = SeriesKey(metric: s["metric"]?.stringValue ?? "", labels: pairs(s["labels"])).labels
                let attributes = Attributes(Dictionary(pairs(s["attributes"]).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
                series.append(fields(int(s["id"]), s["metric"]?.stringValue, s["kind"]?.stringValue, labels.map { [$0.name, $0.value] },
                                     attributes.entries.map { [$0.name, $0.value] }, int(s["created_lsn"]) ?? 0))
            } else if let i = json["import"] {
                let details = pairs(i["details"]).sorted()
                importLines.append((int(i["lsn"]), int(i["point_count"]), { pointCount in
                    fields(int(i["lsn"]), i["kind"]?.stringValue, i["source"]?.stringValue, int(i["wall_time"]) ?? 0,
                           int(i["series_count"]) ?? 0, pointCount, details.map { [$0.name, $0.value] })
                }))
            } else if let d = json["document"] {
                documents.append(fields(int(d["lsn"]), d["kind"]?.stringValue, base64Decode(d["base64"]?.stringValue ?? "")))
            } else if let p = json["points"] {
                let id = int(p["series"]) ?? -1
                let times = p["times"]?.arrayValue ?? [], values = p["values"]?.arrayValue ?? [], lsns = p["lsns"]?.arrayValue ?? []
                let outcomes = p["outcomes"]?.arrayValue
                for k in times.indices {
                    let t = int(times[k]) ?? 0
                    heldPerBatch[int(lsns[k]) ?? -1, default: 0] += 1
                    perSeries[id, default: []].append((t, fields(t, value(values[k]), int(lsns[k]), outcomes.map { int($0[k]) } ?? nil)))
                }
            } else if let f = json["feedback"] {
                verdicts.append(fields(int(f["id"]), int(f["series"]), int(f["time"]), f["verdict"]?.stringValue,
                                       f["note"]?.stringValue ?? "", int(f["created"]) ?? 0))
            } else if let k = json["api_key"] {
                keys.append(fields(k["id"]?.stringValue, k["name"]?.stringValue ?? "", k["role"]?.stringValue,
                                   k["secret_hash"]?.stringValue, int(k["created"]) ?? 0, int(k["revoked"])))
            } else if let c = json["check_feedback"] {
                checkFeedback.append(fields(c["result_id"]?.stringValue, c["feedback"]?.stringValue, int(c["updated"]) ?? 0))
            }
        }
        imports = importLines.map { $0.text($0.pointCount ?? heldPerBatch[$0.lsn ?? -1] ?? 0) }
        for (id, list) in perSeries where !list.isEmpty {
            points.append("series \(id): " + list.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "; "))
        }
    }

    /// Each part of `self` and of `other`, sorted, by name.
    func parts(comparedWith other: DumpModel) -> [(String, [String], [String])] {
        [("series", series.sorted(), other.series.sorted()), ("imports", imports.sorted(), other.imports.sorted()),
         ("documents", documents.sorted(), other.documents.sorted()), ("verdicts", verdicts.sorted(), other.verdicts.sorted()),
         ("API keys", keys.sorted(), other.keys.sorted()), ("check feedback", checkFeedback.sorted(), other.checkFeedback.sorted()),
         ("points", points.sorted(), other.points.sorted())]
    }
}

/// The fields as one text (strings quoted, so that "a" "b" and "a b" differ).
func fields(_ values: any FieldText...) -> String {
    values.map(\.fieldText).joined(separator: " | ")
}

protocol FieldText { var fieldText: String { get } }
extension String: FieldText { var fieldText: String { debugDescription } }
extension Int64: FieldText { var fieldText: String { String(self) } }
extension Optional: FieldText where Wrapped: FieldText { var fieldText: String { map(\.fieldText) ?? "nil" } }
extension Array: FieldText where Element: FieldText { var fieldText: String { "[" + map(\.fieldText).joined(separator: ", ") + "]" } }
extension UInt8: FieldText { var fieldText: String { String(self) } }

func int(_ json: SodaJSON?) -> Int64? { json?.numberValue?.int64Value }

func pairs(_ json: SodaJSON?) -> [Label] {
    guard let object = json?.objectValue else { return [] }
    return object.keys.map { Label($0, object[$0]?.stringValue ?? "") }
}

/// A point's value as the store keeps it: the bits of a number, or null, NaN, ±Infinity.
func value(_ json: SodaJSON) -> String {
    switch json {
    case .number(let n): return Double(n.literal).map { "0x" + String($0.bitPattern, radix: 16) } ?? "?"
    case .string(let s): return s
    default: return json.description
    }
}

/// The bytes of base64 text (the dump's own decoder is internal; this one is only given text it accepted).
func base64Decode(_ text: String) -> [UInt8] {
    var out: [UInt8] = [], bits: UInt32 = 0, count = 0
    for c in text.utf8 {
        let v: UInt32
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): v = 62
        case UInt8(ascii: "/"): v = 63
        default: continue
        }
        bits = bits << 6 | v
        count += 6
        if count >= 8 {
            count -= 8
            out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
        }
    }
    return out
}

func fail(_ message: String) -> Never {
    fatalError("contract broken: " + message)
}

/// Like `precondition`, but the message is printed in release builds too (libFuzzer shows it with the input).
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}
