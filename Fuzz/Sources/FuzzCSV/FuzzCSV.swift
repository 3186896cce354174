import FuzzDriver
import Tally

/// The program's entry point (SwiftPM calls it `FuzzCSV_main`): hands over to libFuzzer.
@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzCSV(data!, size) }
}

/// CSV imports: `CSVImport.parse`. A rejection must be an `InputError` naming the file, a line ≥ 1 and a message;
/// an accepted file gives a batch whose columns agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size <= 16384 else { return -1 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do throws(InputError) {
        let batch = try CSVImport.parse(bytes, fileName: "fuzz.csv", origin: BatchOrigin(kind: "csv", source: "fuzz.csv"))
        require(batch.times.count == batch.pointCount && batch.values.count == batch.pointCount,
                     "columns of different lengths")
    } catch {
        require(!error.message.isEmpty, "an error without a message")
        require(error.file == "fuzz.csv", "an error without the file: \(error)")
        require((error.line ?? 0) >= 1, "an error without a line: \(error)")
        require((error.column ?? 1) >= 1, "a column below 1: \(error)")
    }
    return 0
}

/// Like `precondition`, but the message is printed in release builds too (libFuzzer shows it with the input).
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("contract broken: " + message()) }
}
