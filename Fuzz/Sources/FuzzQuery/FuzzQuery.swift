import FuzzDriver
import Tally

/// The program's entry point (SwiftPM calls it `FuzzQuery_main`): hands over to libFuzzer.
@_cdecl("FuzzQuery_main")
public func fuzzQueryMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzQuery(data!, size) }
}

/// Query text: `Parser.parse` and `Parser.parseTime`. A rejection must be a `QueryError` with a message, a syntax
/// error must have a position inside the text (or just past its end), and `render(query:)` must draw it without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQuery(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Queries are short; longer inputs only slow the search down.
    guard size <= 4096 else { return -1 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do throws(QueryError) {
        let query = try Parser.parse(text)
        _ = "\(query)"
    } catch {
        check(error, in: text)
    }
    do throws(QueryError) {
        _ = try Parser.parseTime(text)
    } catch {
        check(error, in: text)
    }
    return 0
}

func check(_ error: QueryError, in text: String) {
    func require(_ condition: Bool, _ what: @autoclosure () -> String) {
        guard !condition else { return }
        fatalError("contract broken: \(what()); input \(text.debugDescription); error \(error) (span \(String(describing: error.span)))")
    }
    require(!error.message.isEmpty, "a query error without a message")
    if let span = error.span {
        let scalars = text.unicodeScalars.count
        // A problem at the end of the text (something missing) points just past it.
        require(0 <= span.start.offset && span.start.offset <= scalars && span.start.offset <= span.end.offset
                    && span.end.offset <= scalars + 1, "span outside the text (\(scalars) scalars)")
        require(span.start.line >= 1 && span.start.column >= 1, "position is not 1-based")
    } else {
        require(error.kind != .syntax, "a syntax error without a position")
    }
    let rendered = error.render(query: text)
    if error.span != nil { require(rendered.hasSuffix("^"), "no caret line in \(rendered.debugDescription)") }
}
