import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol through `--remote-debugging-pipe` (requests on the
/// browser's fd 3, answers and events from its fd 4, one JSON message per NUL-terminated frame). Blocking: call it
/// off Swift's cooperative threads.
final class Chromium: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The Chromium executable: `$TALLY_CHROMIUM`, or `chromium` / `chromium-browser` on the PATH.
    static func executable() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["TALLY_CHROMIUM"], !path.isEmpty { return path }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let path = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        throw Failure(description: "Chromium is not installed, and the dashboard's browser tests need it: "
                      + "run `apt-get install -y chromium` (CI installs it; scripts/dev test does too), "
                      + "or set TALLY_CHROMIUM to a Chromium binary")
    }

    let pid: pid_t
    let profile: String
    let logPath: String
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let condition = NSCondition()
    private var answers: [Int: [String: Any]] = [:]
    private var events: [[String: Any]] = []
    private var closed = false
    private var nextID = 0

    /// Starts the browser with an empty profile in `directory`.
    init(directory: String, windowWidth: Int = 1280, windowHeight: Int = 1000) throws {
        let executable = try Chromium.executable()
        profile = directory + "/chromium-profile"
        logPath = directory + "/chromium.log"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        var arguments = [executable, "--headless=new", "--remote-debugging-pipe", "--user-data-dir=\(profile)",
                         "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--mute-audio", "--hide-scrollbars", "--password-store=basic",
                         "--window-size=\(windowWidth),\(windowHeight)"]
        if getuid() == 0 { arguments.append("--no-sandbox") }   // Chromium refuses to run as root with its sandbox
        arguments.append("about:blank")

        var commands: [Int32] = [0, 0], replies: [Int32] = [0, 0]
        guard pipe(&commands) == 0, pipe(&replies) == 0 else { throw Failure(description: "pipe: errno \(errno)") }
        // Copies above 10, closed on exec, so that dup2 onto 3 and 4 cannot clobber one another.
        let childRead = fcntl(commands[0], F_DUPFD_CLOEXEC, 10), childWrite = fcntl(replies[1], F_DUPFD_CLOEXEC, 10)
        close(commands[0]); close(replies[1])
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, null, 0)
        posix_spawn_file_actions_adddup2(&actions, log, 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)
        posix_spawn_file_actions_adddup2(&actions, childRead, 3)
        posix_spawn_file_actions_adddup2(&actions, childWrite, 4)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, argv, environ)
        close(childRead); close(childWrite); close(log); close(null)
        guard spawned == 0 else {
            close(commands[1]); close(replies[0])
            throw Failure(description: "cannot start \(executable): error \(spawned)")
        }
        pid = child
        toBrowser = commands[1]
        fromBrowser = replies[0]
        let reader = Thread { [weak self] in self?.readLoop() }
        reader.name = "chromium-devtools-reader"
        reader.start()
    }

    private func readLoop() {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            while let end = buffer.firstIndex(of: 0) {
                let frame = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                guard let message = (try? JSONSerialization.jsonObject(with: frame)) as? [String: Any] else { continue }
                condition.lock()
                if let id = message["id"] as? Int { answers[id] = message } else { events.append(message) }
                condition.broadcast()
                condition.unlock()
            }
        }
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sends a command (to a page when `session` is given) and waits for its result.
    @discardableResult
    func send(_ method: String, _ parameters: [String: Any] = [:], session: String? = nil,
              timeoutSeconds: Double = 30) throws -> [String: Any] {
        condition.lock()
        nextID += 1
        let id = nextID
        condition.unlock()
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if let session { message["sessionId"] = session }
        var frame = [UInt8](try JSONSerialization.data(withJSONObject: message))
        frame.append(0)
        var sent = 0
        while sent < frame.count {
            let n = frame[sent...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "\(method): the browser closed its pipe; log:\n\(log)") }
            sent += n
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        condition.lock()
        defer { condition.unlock() }
        while answers[id] == nil {
            if closed { throw Failure(description: "\(method): the browser exited; log:\n\(log)") }
            if !condition.wait(until: deadline) { throw Failure(description: "\(method): no answer within \(timeoutSeconds) s") }
        }
        let answer = answers.removeValue(forKey: id)!
        if let error = answer["error"] as? [String: Any] {
            throw Failure(description: "\(method) failed: \(error["message"] ?? error)")
        }
        return answer["result"] as? [String: Any] ?? [:]
    }

    /// The number of events received so far (a mark for ``waitForEvent(_:session:after:timeoutSeconds:)``).
    var eventCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return events.count
    }

    /// The events received after `mark`, in order.
    func events(after mark: Int = 0) -> [[String: Any]] {
        condition.lock()
        defer { condition.unlock() }
        return Array(events[min(mark, events.count)...])
    }

    /// Waits for an event named `method` (of `session`) received after `mark`; returns its parameters.
    @discardableResult
    func waitForEvent(_ method: String, session: String?, after mark: Int, timeoutSeconds: Double = 30) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let event = events[min(mark, events.count)...].first(where: {
                $0["method"] as? String == method && $0["sessionId"] as? String == session
            }) {
                return event["params"] as? [String: Any] ?? [:]
            }
            if closed { throw Failure(description: "waiting for \(method): the browser exited; log:\n\(log)") }
            if !condition.wait(until: deadline) { throw Failure(description: "no \(method) within \(timeoutSeconds) s") }
        }
    }

    /// What the browser wrote to its standard output and error.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Closes the browser (politely, then with SIGKILL after 10 s) and waits for it.
    func quit() {
        _ = try? send("Browser.close", timeoutSeconds: 5)
        let deadline = Date().addingTimeInterval(10)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(20_000)
        }
        close(toBrowser)
        close(fromBrowser)
    }
}

/// One tab of a ``Chromium``, attached with a flat session.
struct BrowserPage {
    let browser: Chromium
    let session: String

    /// Opens a blank tab and enables what the tests watch: page lifecycle, network, console and log entries.
    init(_ browser: Chromium, javaScript: Bool, width: Int = 1280, height: Int = 1000) throws {
        self.browser = browser
        let target = try browser.send("Target.createTarget", ["url": "about:blank"])["targetId"] as? String ?? ""
        session = try browser.send("Target.attachToTarget", ["targetId": target, "flatten": true])["sessionId"] as? String ?? ""
        for domain in ["Page.enable", "Network.enable", "Runtime.enable", "Log.enable", "DOM.enable"] {
            try browser.send(domain, session: session)
        }
        // A fixed viewport, so that screenshots have a known size.
        try browser.send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1,
                                                                "mobile": false], session: session)
        if !javaScript { try browser.send("Emulation.setScriptExecutionDisabled", ["value": true], session: session) }
    }

    /// What loading a document gave: the final URL and status (after redirects).
    struct Loaded {
        var url: String
        var status: Int
    }

    /// Runs `action` (which starts a navigation) and waits for the new document's load event.
    func loading(_ action: () throws -> Void) throws -> Loaded {
        let mark = browser.eventCount
        try action()
        try browser.waitForEvent("Page.loadEventFired", session: session, after: mark)
        let documents = browser.events(after: mark).filter {
            $0["method"] as? String == "Network.responseReceived" && $0["sessionId"] as? String == session
                && ($0["params"] as? [String: Any])?["type"] as? String == "Document"
        }
        guard let response = (documents.last?["params"] as? [String: Any])?["response"] as? [String: Any] else {
            throw Chromium.Failure(description: "the load had no document response")
        }
        return Loaded(url: response["url"] as? String ?? "", status: response["status"] as? Int ?? 0)
    }

    func navigate(_ url: String) throws -> Loaded {
        try loading { try browser.send("Page.navigate", ["url": url], session: session) }
    }

    /// The node ids of the elements matching a CSS selector in the current document.
    func select(_ selector: String) throws -> [Int] {
        let root = try browser.send("DOM.getDocument", ["depth": 0], session: session)["root"] as? [String: Any]
        let rootID = root?["nodeId"] as? Int ?? 0
        return try browser.send("DOM.querySelectorAll", ["nodeId": rootID, "selector": selector], session: session)["nodeIds"] as? [Int] ?? []
    }

    /// An element's attributes.
    func attributes(_ node: Int) throws -> [String: String] {
        let flat = try browser.send("DOM.getAttributes", ["nodeId": node], session: session)["attributes"] as? [String] ?? []
        var out: [String: String] = [:]
        for i in stride(from: 0, to: flat.count - 1, by: 2) { out[flat[i]] = flat[i + 1] }
        return out
    }

    /// An element's markup.
    func outerHTML(_ node: Int) throws -> String {
        try browser.send("DOM.getOuterHTML", ["nodeId": node], session: session)["outerHTML"] as? String ?? ""
    }

    /// Types `text` into the element (as a person would: focus, then text input) and presses Enter, which submits
    /// its form without any script.
    func type(_ text: String, into node: Int) throws {
        try browser.send("DOM.focus", ["nodeId": node], session: session)
        try browser.send("Input.insertText", ["text": text], session: session)
    }

    func pressEnter() throws {
        try browser.send("Input.dispatchKeyEvent", ["type": "keyDown", "key": "Enter", "code": "Enter",
                                                    "windowsVirtualKeyCode": 13, "text": "\r"], session: session)
        try browser.send("Input.dispatchKeyEvent", ["type": "keyUp", "key": "Enter", "code": "Enter",
                                                    "windowsVirtualKeyCode": 13], session: session)
    }

    /// The browser's cookies for `url`.
    func cookies(for url: String) throws -> [[String: Any]] {
        try browser.send("Network.getCookies", ["urls": [url]], session: session)["cookies"] as? [[String: Any]] ?? []
    }

    /// A PNG of the viewport.
    func screenshot() throws -> [UInt8] {
        let data = try browser.send("Page.captureScreenshot", ["format": "png"], session: session)["data"] as? String ?? ""
        guard let bytes = Data(base64Encoded: data) else { throw Chromium.Failure(description: "the screenshot is not base64") }
        return [UInt8](bytes)
    }

    /// Console errors, uncaught exceptions and error log entries (failed loads, CSP violations, …) since `mark`.
    func problems(after mark: Int) -> [String] {
        browser.events(after: mark).compactMap { event -> String? in
            guard event["sessionId"] as? String == session, let params = event["params"] as? [String: Any] else { return nil }
            switch event["method"] as? String {
            case "Runtime.consoleAPICalled":
                guard let type = params["type"] as? String, type == "error" || type == "assert" else { return nil }
                return "console.\(type): \(params["args"] ?? "")"
            case "Runtime.exceptionThrown":
                return "exception: \(params["exceptionDetails"] ?? "")"
            case "Log.entryAdded":
                guard let entry = params["entry"] as? [String: Any], entry["level"] as? String == "error" else { return nil }
                return "log (\(entry["source"] ?? "")): \(entry["text"] ?? "") \(entry["url"] ?? "")"
            default:
                return nil
            }
        }
    }
}
