import Dispatch
import Logging
import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

#if canImport(Glibc)
import Glibc
#endif

// MARK: - A minimal HTTP/1.1 client over a loopback socket (bounded by timeouts)

struct HTTPResult: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body read by Foundation (an independent JSON parser).
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var errorMessage: String? { (object["error"] as? [String: Any])?["message"] as? String }
}

struct HTTPFailure: Error, CustomStringConvertible {
    var description: String
}

/// A new, empty store at `path` and a write key for it.
func storeWithWriteKey(at path: String) throws -> IssuedKey {
    try Store.open(at: path).close()
    return try KeyManager(storePath: path).create(role: .write, name: "test-writer")
}

/// A TCP socket connected to 127.0.0.1:`port`, with send and receive timeouts; the caller closes it.
func connectLoopback(port: Int, timeoutSeconds: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HTTPFailure(description: "socket: errno \(errno)") }
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        let code = errno
        close(fd)
        throw HTTPFailure(description: "connect to 127.0.0.1:\(port): errno \(code)")
    }
    return fd
}

enum HTTP {
    /// Sends one request (`Connection: close`) to 127.0.0.1:`port` and reads the whole answer. Blocking.
    static func sendBlocking(_ method: String, port: Int, path: String, headers: [String: String] = [:],
                             body: [UInt8] = [], timeoutSeconds: Int = 60) throws -> HTTPResult {
        let fd = try connectLoopback(port: port, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var request = Array(head.utf8)
        request.append(contentsOf: body)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                // The server may answer (413) and close before reading everything: read what it said.
                break
            }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { throw HTTPFailure(description: "timed out reading from port \(port)") }
                if errno == ECONNRESET, !response.isEmpty { break }
                throw HTTPFailure(description: "recv: errno \(errno)")
            }
            if n == 0 { break }
            response.append(contentsOf: chunk[0..<n])
        }
        return try parse(response)
    }

    static func parse(_ bytes: [UInt8]) throws -> HTTPResult {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw HTTPFailure(description: "no complete HTTP head in \(bytes.count) bytes")
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw HTTPFailure(description: "bad status line \(head[0])")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var out: [UInt8] = []
            var i = 0
            while i < body.count {
                guard let lineEnd = (i..<body.count - 1).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else { break }
                let size = Int(String(decoding: body[i..<lineEnd], as: UTF8.self), radix: 16) ?? 0
                if size == 0 { break }
                out.append(contentsOf: body[(lineEnd + 2)..<(lineEnd + 2 + size)])
                i = lineEnd + 2 + size + 2
            }
            body = out
        } else if let length = headers["content-length"].flatMap(Int.init), body.count > length {
            body = Array(body[0..<length])
        }
        return HTTPResult(status: status, headers: headers, body: body)
    }

    /// The same, off Swift's cooperative threads (the in-process server needs them).
    static func send(_ method: String, port: Int, path: String, headers: [String: String] = [:],
                     body: [UInt8] = [], timeoutSeconds: Int = 60) async throws -> HTTPResult {
        try await offCooperativeThreads {
            try sendBlocking(method, port: port, path: path, headers: headers, body: body, timeoutSeconds: timeoutSeconds)
        }
    }
}

/// Runs blocking socket work on a Dispatch thread: blocked on Swift's cooperative threads (two on two cores), it
/// would starve the in-process server that is to answer it.
func offCooperativeThreads<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result: Result<T, any Error> = await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: Result { try body() }) }
    }
    return try result.get()
}

/// `a=b&c=d` with every byte outside unreserved characters percent-encoded.
func formEncode(_ pairs: [(String, String)]) -> String {
    let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    func encode(_ s: String) -> String {
        s.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
    }
    return pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
}

// MARK: - An in-process server on a temporary store

/// A `TallyServer` on a fresh store and a free loopback port, with a write key and a read key.
final class TestServer: @unchecked Sendable {
    let directory: TemporaryDirectory
    let server: TallyServer
    let port: Int
    let writeKey: IssuedKey
    let readKey: IssuedKey
    private var task: Task<Void, any Error>?

    var storePath: String { server.configuration.storePath }

    /// `seed` fills the store before the server opens it (e.g. with a demo); `configure` changes the rest.
    init(limits: ServerLimits = ServerLimits(), storeOptions: StoreOptions = StoreOptions(),
         checkAttributes: [SodaCheckAttributeDefinition] = [], seed: ((Store) throws -> Void)? = nil,
         logger: Logger? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        directory = TemporaryDirectory("tally-server-test")
        var configuration = ServerConfiguration(port: 0, storePath: directory.child("store"), limits: limits,
                                                storeOptions: storeOptions)
        configuration.checkAttributes = checkAttributes
        configure(&configuration)
        if let seed {
            let store = try Store.open(at: configuration.storePath)
            try seed(store)
            try store.close()
        }
        var quiet = Logger(label: "tally.test")
        quiet.logLevel = .critical  // cancelling the in-process server makes Hummingbird log errors
        server = try TallyServer(configuration: configuration, logger: logger ?? quiet)
        let keys = try KeyManager(storePath: configuration.storePath)
        writeKey = try keys.create(role: .write, name: "test-writer")
        readKey = try keys.create(role: .read, name: "test-reader")
        let server = self.server
        let task = Task { try await server.run() }
        self.task = task
        port = try await TestServer.listeningPort(of: server, running: task)
        try await waitUntilHealthy(port: port)
    }

    /// The port the system gave the server (it binds port 0, so parallel tests never race for a port).
    private static func listeningPort(of server: TallyServer, running task: Task<Void, any Error>) async throws -> Int {
        for _ in 0..<600 {
            if let port = server.listeningPort { return port }
            try await Task.sleep(for: .milliseconds(50))
        }
        task.cancel()
        _ = try await task.value
        throw HTTPFailure(description: "the in-process server did not start listening within 30 s")
    }

    /// Stops the server (cancelling its task) and waits until its store is closed.
    func stop() async {
        task?.cancel()
        _ = try? await task?.value
        task = nil
    }

    func send(_ method: String, _ path: String, key: IssuedKey? = nil, headers: [String: String] = [:],
              body: [UInt8] = []) async throws -> HTTPResult {
        var all = headers
        if let key { all["Authorization"] = "Bearer \(key.token)" }
        return try await HTTP.send(method, port: port, path: path, headers: all, body: body)
    }

    func get(_ path: String, key: IssuedKey? = nil) async throws -> HTTPResult {
        try await send("GET", path, key: key ?? readKey)
    }

    /// POSTs a Soda Cloud request body (a JSON object) to /api/query or /api/command.
    func soda(_ endpoint: String, _ body: [String: Any]) async throws -> HTTPResult {
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: body))
        return try await HTTP.send("POST", port: port, path: endpoint, headers: ["Content-Type": "application/json"], body: bytes)
    }

    /// Logs in with the Soda `login` command and returns the token.
    func sodaLogin(_ key: IssuedKey) async throws -> String {
        let result = try await soda("/api/command", ["type": "login", "apiKeyId": key.record.id, "apiKeySecret": key.secret])
        guard result.status == 200, let token = result.object["token"] as? String else {
            throw HTTPFailure(description: "login failed: \(result.status) \(result.text)")
        }
        return token
    }

    deinit { task?.cancel() }
}

/// Polls /healthz until it answers 200 (at most ~30 s).
func waitUntilHealthy(port: Int) async throws {
    for _ in 0..<300 {
        if let result = try? await HTTP.send("GET", port: port, path: "/healthz", timeoutSeconds: 2), result.status == 200 { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw HTTPFailure(description: "the server on port \(port) did not become healthy")
}

// MARK: - Fixtures and the tally binary

enum SodaFixtures {
    static func bytes(_ name: String) throws -> [UInt8] {
        try SharedData.bytes("fixtures/soda/" + name)
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try bytes(name), as: UTF8.self)
    }

    /// series_result_DD.json (DD = 1…12).
    static func day(_ day: Int) throws -> [UInt8] {
        try bytes(String(format: "series_result_%02d.json", day))
    }

    /// A Soda Cloud insert payload: the -srf document plus `type` and `token`.
    static func insertPayload(_ document: [UInt8], token: String) throws -> [String: Any] {
        var object = try JSONSerialization.jsonObject(with: Data(document)) as! [String: Any]
        object["type"] = "sodaCoreInsertScanResults"
        object["token"] = token
        return object
    }

    /// A copy of a scan document with another `dataTimestamp` (so another content hash).
    static func retimed(_ document: [UInt8], dataTimestamp: String) throws -> [UInt8] {
        var object = try JSONSerialization.jsonObject(with: Data(document)) as! [String: Any]
        object["dataTimestamp"] = dataTimestamp
        return [UInt8](try JSONSerialization.data(withJSONObject: object))
    }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion (bounded by `timeoutSeconds`), off the cooperative threads.
func runProgram(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                currentDirectory: String? = nil, timeoutSeconds: Double = 600) async throws -> ProcessResult {
    let result: Result<ProcessResult, any Error> = await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(returning: Result {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: path)
                process.arguments = arguments
                var env = ProcessInfo.processInfo.environment
                env.removeValue(forKey: "TALLY_STORE")
                for (k, v) in environment { env[k] = v }
                process.environment = env
                if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
                let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("tally-out-\(UUID().uuidString)")
                let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("tally-err-\(UUID().uuidString)")
                _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
                _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
                defer {
                    try? FileManager.default.removeItem(at: outFile)
                    try? FileManager.default.removeItem(at: errFile)
                }
                process.standardOutput = try FileHandle(forWritingTo: outFile)
                process.standardError = try FileHandle(forWritingTo: errFile)
                process.standardInput = FileHandle.nullDevice
                try process.run()
                let deadline = Date().addingTimeInterval(timeoutSeconds)
                while process.isRunning && Date() < deadline { usleep(20_000) }
                if process.isRunning {
                    process.terminate()
                    process.waitUntilExit()
                    throw HTTPFailure(description: "\(path) \(arguments.prefix(3).joined(separator: " ")) timed out after \(Int(timeoutSeconds)) s")
                }
                process.waitUntilExit()
                return ProcessResult(status: process.terminationStatus,
                                     stdout: (try? String(contentsOf: outFile, encoding: .utf8)) ?? "",
                                     stderr: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
            })
        }
    }
    return try result.get()
}

/// `tally serve` as a child process on a free port; stopped with SIGTERM.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    /// The port the server listens on (the system's choice: `--port 0`), known once ``start`` returns.
    private(set) var port = 0
    let logPath: String

    /// Starts `tally serve --port 0` and waits until it says which port it listens on.
    ///
    /// The system picks the port at `bind`, so servers started side by side never race for one: a port found free
    /// beforehand could be taken by another test's server before this one binds it.
    /// `input`, when given, is written to the server's standard input (then closed).
    static func start(storePath: String, logPath: String, extraArguments: [String] = [],
                      input: [UInt8]? = nil) async throws -> ServeProcess {
        let serve = try ServeProcess(storePath: storePath, logPath: logPath, extraArguments: extraArguments, input: input)
        serve.port = try await serve.waitForListeningPort()
        return serve
    }

    private init(storePath: String, logPath: String, extraArguments: [String], input: [UInt8]?) throws {
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: tallyBinary)
        process.arguments = ["serve", "--store", storePath, "--host", "127.0.0.1", "--port", "0"] + extraArguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TALLY_STORE")
        process.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        let pipe = input.map { _ in Pipe() }
        process.standardInput = pipe ?? FileHandle.nullDevice
        try process.run()
        if let pipe, let input {
            try pipe.fileHandleForWriting.write(contentsOf: input)
            try pipe.fileHandleForWriting.close()
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The port in the server's "listening on http(s)://127.0.0.1:PORT" line, waiting up to 60 s for it.
    private func waitForListeningPort() async throws -> Int {
        for _ in 0..<600 {
            if let port = ServeProcess.listeningPort(in: log) { return port }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        throw HTTPFailure(description: "tally serve did not say where it listens; log:\n\(log)")
    }

    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: #"listening on https?://127\.0\.0\.1:[0-9]+"#, options: .regularExpression),
              let colon = log[range].lastIndex(of: ":") else { return nil }
        return Int(log[range][log.index(after: colon)...])
    }

    /// Sends SIGTERM and waits (at most `timeoutSeconds`) for the process to exit; returns its status.
    func terminate(timeoutSeconds: Double = 60) async throws -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw HTTPFailure(description: "tally serve did not stop within \(Int(timeoutSeconds)) s; log:\n\(log)")
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
