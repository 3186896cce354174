import FuzzDriver
import Tally

/// The program's entry point (SwiftPM calls it `FuzzJSONPoints_main`): hands over to libFuzzer.
@_cdecl("FuzzJSONPoints_main")
public func fuzzJSONPointsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzJSONPoints(data!, size) }
}

/// JSON points files (`tally ingest json`): `Store.parsePointsJSON`, which calls `JSONPointsImport.parse`. A rejection
/// must be `StoreError.invalid` with an `InputError` naming the file, a line ≥ 1, a column ≥ 1, the JSON path and a
/// message. An accepted file gives a consistent batch (one time, value, series index and outcome per point, every
/// index valid, every series with a point) that passes the store's own `WriteBatch.validate()`, and `locate` puts
/// a file, line, column and path on an error about any of its series.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONPoints(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size <= 65536 else { return -1 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let file: ParsedFile
    do throws(StoreError) {
        file = try Store.parsePointsJSON(bytes, fileName: "fuzz.json")
    } catch {
        guard case .invalid(let input) = error else { fail("a rejection that is not an input error: \(error)") }
        check(input)
        return 0
    }
    let batch = file.batch
    let n = batch.pointCount
    require(file.fileName == "fuzz.json", "the parsed file lost its name")
    require(batch.times.count == n && batch.values.count == n && batch.seriesIndexes.count == n && batch.outcomes.count == n,
            "columns of different lengths: \(batch.times.count) times, \(batch.values.count) values, "
            + "\(batch.seriesIndexes.count) series indexes, \(batch.outcomes.count) outcomes")
    var used = [Bool](repeating: false, count: batch.series.count)
    for index in batch.seriesIndexes {
        require(Int(index) < batch.series.count, "series index \(index) of a batch with \(batch.series.count) series")
        used[Int(index)] = true
    }
    require(!used.contains(false), "a series without points in the batch")
    do throws(InputError) {
        try batch.validate()
    } catch {
        fail("an accepted file gives a batch the store refuses: \(error)")
    }
    // An error the store finds while writing series k (say, a check series it holds as a measurement) is placed
    // in the file. Each placement parses the document again: the first few series and the last one.
    let count = batch.series.count
    for k in Array(0..<min(count, 4)) + (count > 4 ? [count - 1] : []) {
        let located = file.locate(.invalid(InputError(message: "written", seriesIndex: k)))
        guard case .invalid(let input) = located else { fail("locate changed the error's kind") }
        require(input.file == "fuzz.json" && (input.line ?? 0) >= 1 && (input.column ?? 0) >= 1 && input.path != nil,
                "series \(k) of \(count) is not located: \(input)")
    }
    return 0
}

func check(_ error: InputError) {
    require(!error.message.isEmpty, "an error without a message")
    require(error.file == "fuzz.json", "an error without the file: \(error)")
    require((error.line ?? 0) >= 1, "an error without a line: \(error)")
    require((error.column ?? 0) >= 1, "an error without a column: \(error)")
    require(error.path?.hasPrefix("$") ?? false, "an error without a JSON path: \(error)")
}

func fail(_ message: String) -> Never {
    fatalError("contract broken: " + message)
}

/// Like `precondition`, but the message is printed in release builds too (libFuzzer shows it with the input).
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}
