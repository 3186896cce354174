import Foundation
import Testing
import TallyTestSupport

/// The result of running the built `tally` binary.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `tally` with arguments and optional standard input; waits for it to finish.
@discardableResult
func runTally(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> CLIResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tallyBinary)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "TALLY_STORE")
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

/// Writes a text file.
func writeText(_ path: String, _ text: String) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}

/// The lines a child process writes to a pipe, read as they come.
struct LineStream {
    let handle: FileHandle
    private var buffer = Data()

    init(_ handle: FileHandle) { self.handle = handle }

    /// The next whole line (without its newline); nil once the pipe is closed.
    mutating func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    /// Every line not read yet, up to the end of the pipe (the last one even without a newline).
    mutating func rest() -> [String] {
        buffer.append(handle.readDataToEndOfFile())
        defer { buffer.removeAll() }
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

/// A store at `dir/store` holding the points of a CSV (through `tally ingest csv`); its path.
func storeFromCSV(_ csv: String, in dir: TemporaryDirectory) throws -> String {
    try writeText(dir.child("points.csv"), csv)
    let store = dir.child("store")
    let ingest = try runTally(["ingest", "csv", dir.child("points.csv"), "--store", store])
    // Stop here when the ingest fails: the tests that follow would fail on an empty store, pointing elsewhere.
    try #require(ingest.status == 0, "\(ingest.stderr)")
    return store
}
