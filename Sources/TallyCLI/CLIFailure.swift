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

/// Reads a whole file, or standard input for `-`, to its end: also a pipe or a device given by path
/// (`<(command)`, `/dev/stdin`), whose size says nothing about what it holds. A read error is an error, never a
/// shorter input.
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" { return try readToEnd(0, name: "standard input") }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw CLIFailure(message: "cannot read \(path): \(String(cString: strerror(errno)))", code: 1) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw CLIFailure(message: "cannot read \(path): \(String(cString: strerror(errno)))", code: 1) }
    if info.st_mode & S_IFMT == S_IFDIR { throw CLIFailure(message: "cannot read \(path): \(String(cString: strerror(EISDIR)))", code: 1) }
    let expected = info.st_mode & S_IFMT == S_IFREG ? Int(info.st_size) : 0
    return try readToEnd(fd, name: path, expected: expected)
}

/// Every byte `fd` gives until the end of its input.
private func readToEnd(_ fd: Int32, name: String, expected: Int = 0) throws -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(expected + 1)
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n == 0 { return bytes }
        if n < 0 {
            if errno == EINTR { continue }
            throw CLIFailure(message: "cannot read \(name): \(String(cString: strerror(errno)))", code: 1)
        }
        bytes.append(contentsOf: chunk[0..<n])
    }
}
