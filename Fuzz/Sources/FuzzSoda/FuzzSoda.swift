import FuzzDriver
import Tally

/// The program's entry point (SwiftPM calls it `FuzzSoda_main`): hands over to libFuzzer.
@_cdecl("FuzzSoda_main")
public func fuzzSodaMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzSoda(data!, size) }
}

/// Soda documents: the JSON parser and the scan reader. A rejection must be a `SodaError` with a message; a
/// syntax error must have a line and column. A parsed document written back and parsed again is the same value,
/// and an accepted scan converts to a write batch.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSoda(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size <= 65536 else { return -1 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let json: SodaJSON
    do throws(SodaError) {
        json = try SodaJSONParser.parse(bytes)
    } catch {
        check(error)
        return 0
    }
    for sortKeys in [false, true] {
        let written = SodaJSONWriter.bytes(json, sortKeys: sortKeys)
        do throws(SodaError) {
            let again = try SodaJSONParser.parse(written)
            require(again == json, "a written document parses to a different value (sortKeys: \(sortKeys))")
        } catch {
            require(false, "a written document does not parse: \(error)")
        }
    }
    do throws(SodaError) {
        let scan = try SodaScan.parse(bytes)
        _ = scan.writeBatch(source: "fuzz.json")
    } catch {
        check(error)
    }
    return 0
}

func check(_ error: SodaError) {
    require(!error.message.isEmpty, "an error without a message")
    if error.kind == .syntax { require(error.line != nil && error.column != nil, "a syntax error without a position: \(error)") }
    if let line = error.line, let column = error.column { require(line >= 1 && column >= 1, "position below 1: \(error)") }
}

/// Like `precondition`, but the message is printed in release builds too (libFuzzer shows it with the input).
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("contract broken: " + message()) }
}
