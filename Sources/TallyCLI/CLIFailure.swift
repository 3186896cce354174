import ArgumentParser
import Tally
#if canImport(Glibc)
import Glibc
#endif

/// A failure the CLI reports: its message goes to stderr and the process exits with `code`.
struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var code: Int32
    var description: String { message }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    var bytes = Array(line.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { break }
        offset += n
    }
}

/// Writes text to standard output without buffering surprises between stdout and stderr.
func printOut(_ text: String) {
    print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
}

/// Runs a command body, turning Tally's errors into messages and exit codes:
/// 2 for bad input (invalid files, selectors, queries), 1 for everything else.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CLIFailure {
        printError("error: \(error.message)")
        throw ExitCode(error.code)
    } catch let error as StoreError {
        printError("error: \(error)")
        if case .invalid = error { throw ExitCode(2) }
        throw ExitCode(1)
    } catch let error as InputError {
        printError("error: \(error)")
        throw ExitCode(2)
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}

/// True when standard error is a terminal (progress is shown only then).
var stderrIsTerminal: Bool { isatty(2) != 0 }

/// Reads a whole file, or standard input for `-`.
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
    do throws(IOError) {
        let file = try File.openForReading(path)
        return try file.read(count: try file.size(), at: 0)
    } catch {
        throw CLIFailure(message: "cannot read \(path): \(String(cString: strerror(error.errno)))", code: 1)
    }
}
