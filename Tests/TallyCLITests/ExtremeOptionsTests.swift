import Foundation
import Testing
import Tally
import TallyTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Command-line options at the edges: times at the ends of Int64, ranges the wrong way round, lifetimes and anchors
/// too far out, input that is a pipe. Each once trapped `tally` (or answered wrongly).
@Suite("tally options at the edges (through the built binary)")
struct ExtremeOptionsTests {
    /// A store with a point at the earliest time, one at the latest time a point can have, and two in 2024 (series
    /// `m`), and a series `n` with one point in 2024.
    func edgeStore(_ dir: TemporaryDirectory) throws -> String {
        try storeFromCSV("""
            time,metric,value
            -9223372036854775808,m,1
            2024-05-01T00:00:00Z,m,2
            2024-05-02T00:00:00Z,m,3
            +292278994-08-17T07:12:55.806Z,m,4
            2024-05-01T00:00:00Z,n,5

            """, in: dir)
    }

    @Test func feedbackFindsPointsAtTheEndsOfTime() throws {
        let dir = TemporaryDirectory()
        let store = try edgeStore(dir)
        // Removing at the last millisecond (where no point can be) removes nothing, instead of overflowing; for a
        // series without points near it, too.
        for selector in ["m", "n"] {
            let remove = try runTally(["feedback", "remove", selector, "--at", "9223372036854775807", "--store", store])
            #expect(remove.status == 0, "\(remove.stderr)")
            #expect(remove.stdout.contains("removed 0 verdicts"), "\(remove.stdout)")
        }
        // The earliest time: a week before it wrapped around to the far future, so no point was found there.
        let early = try runTally(["feedback", "m", "--at=-9223372036854775808", "expected", "--store", store])
        #expect(early.status == 0, "\(early.stderr)")
        #expect(early.stdout.contains("marked m at -292275055-05-16T16:47:04.192Z"), "\(early.stdout)")
        // Near the latest time: a week after it wrapped around, making a reversed range the store trapped on.
        let late = try runTally(["feedback", "m", "--at", "9223372036854775000", "anomaly", "--store", store])
        #expect(late.status == 0, "\(late.stderr)")
        #expect(late.stdout.contains("marked m at +292278994-08-17T07:12:55.806Z"), "\(late.stdout)")
        let list = try runTally(["feedback", "list", "--format", "csv", "--store", store])
        #expect(list.status == 0 && list.stdout.split(separator: "\n").count == 3, "\(list.stdout)\(list.stderr)")
    }

    @Test func sinceAfterUntilIsBadInput() throws {
        let dir = TemporaryDirectory()
        let store = try edgeStore(dir)
        for command in [["export", "m"], ["delete", "m"], ["scans"]] {
            let result = try runTally(command + ["--since", "2024-05-03", "--until", "2024-04-30", "--store", store])
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("error: --since (2024-05-03T00:00:00Z) is after --until (2024-04-30T00:00:00Z): "
                                           + "a time range cannot end before it starts"),
                    "\(command): \(result.stderr)")
        }
        // Nothing was deleted, and a range the right way round still works.
        let export = try runTally(["export", "m", "--since", "2024-04-30", "--until", "2024-05-03", "--store", store])
        #expect(export.status == 0 && export.stdout.split(separator: "\n").count == 3, "\(export.stdout)\(export.stderr)")
    }

    @Test func backtestAtTheLastMillisecondOfTimeStillSeesTheWindow() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-01-01T00:00:00Z,m,1\n2024-06-01T00:00:00Z,m,2\n", in: dir)
        // `now + 1` wrapped to the first millisecond of time: the window [since, now] held nothing.
        for now in ["9223372036854775807", "+292278994-08-17T07:12:55.806Z"] {
            let result = try runTally(["backtest", "m", "--since", "2023-06-01", "--now", now, "--format", "json", "--store", store])
            #expect(result.status == 0, "\(now): \(result.stderr)")
            #expect(result.stdout.contains("\"series_count\": 1"), "\(now): \(result.stdout)")
            #expect(!result.stdout.contains("\"series_count\": 0"), "\(now): \(result.stdout)")
        }
        // A window that starts after now is bad input, not an empty report.
        let reversed = try runTally(["backtest", "m", "--since", "2025-01-01", "--now", "2024-03-01", "--store", store])
        #expect(reversed.status == 2, "\(reversed.stdout)\(reversed.stderr)")
        #expect(reversed.stderr.contains("error: --since (2025-01-01T00:00:00Z) is after now (2024-03-01T00:00:00Z): "
                                         + "a time range cannot end before it starts"), "\(reversed.stderr)")
        // `--since` at now is the one millisecond there, not an error.
        let atNow = try runTally(["backtest", "m", "--since", "2024-06-01", "--now", "2024-06-01", "--format", "json", "--store", store])
        #expect(atNow.status == 0 && atNow.stdout.contains("\"series_count\": 1"), "\(atNow.stdout)\(atNow.stderr)")
    }

    @Test func serveRefusesLifetimesTooLongForTheClock() throws {
        let dir = TemporaryDirectory()
        for option in ["--token-lifetime", "--session-lifetime"] {
            let result = try runTally(["serve", "--store", dir.child("store"), "--port", "0", option, "9223372036854775807"])
            #expect(result.status == 64, "\(option): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("\(option) must be at most 315360000 seconds"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.child("store")))
    }

    @Test func demoRefusesAnchorsItsScanDocumentsCannotCarry() throws {
        let dir = TemporaryDirectory()
        for anchor in ["0000-01-01", "+10000-01-01", "+292278994-08-17", "-292275055-05-17"] {
            let store = dir.child("demo-\(anchor)")
            let result = try runTally(["demo", "--store", store, "--anchor=\(anchor)"])
            #expect(result.status == 2, "\(anchor): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("do not fit in the years 0000 to 9999"), "\(anchor): \(result.stderr)")
            // Nothing was made: a half-built store would not even be replaceable by the next `tally demo`.
            #expect(!FileManager.default.fileExists(atPath: store), "\(anchor)")
        }
    }

    /// An anchor after today would plant incidents in scans that never happen: refused, nothing made.
    @Test func demoRefusesAnAnchorAfterToday() throws {
        let dir = TemporaryDirectory()
        let later = TimeText.format(DemoStore.today() + 30 * 86_400_000).prefix(10)
        let result = try runTally(["demo", "--store", dir.child("demo"), "--anchor", String(later)])
        #expect(result.status == 2 && result.stderr.contains("is after today"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.child("demo")))
    }

    @Test func demoDoesNotReplaceADemoStoreAnotherProcessWrites() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("demo")
        let store = try Store.open(at: path)
        try DemoStore(anchorDay: DemoStore.today(), days: 10).build(into: store)
        let before = store.stats().points
        // `store` stays open for writing in this process, as a `tally serve` keeps it: the demo must not delete it.
        let result = try runTally(["demo", "--store", path])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("in use by another writing process"), "\(result.stderr)")
        #expect(store.stats().points == before)
        try store.close()
        let reopened = try Store.open(at: path)
        #expect(reopened.stats().points == before)
        try reopened.close()
    }

    @Test func demoDoesNotReplaceADemoStoreThatDoesNotOpen() throws {
        let dir = TemporaryDirectory()
        let path = dir.child("demo")
        let store = try Store.open(at: path)
        try DemoStore(anchorDay: DemoStore.today(), days: 10).build(into: store)
        try store.close()
        // Its WAL directory is a file: the store does not open, for a reason other than another writer.
        Directory.removeTree(path + "/wal")
        try writeText(path + "/wal", "not a directory")
        let result = try runTally(["demo", "--store", path])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("error: \(path): the demo store does not open, so it is not replaced: "), "\(result.stderr)")
        #expect(result.stderr.contains("/wal") && result.stderr.contains("remove it to build a new one"), "\(result.stderr)")
        #expect(!result.stderr.contains("in use"), "\(result.stderr)")
        // Nothing was removed.
        #expect(Store.exists(at: path))
        #expect(try String(contentsOfFile: path + "/wal", encoding: .utf8) == "not a directory")
    }

    @Test func aBadFileLeavesNoNewStoreBehind() throws {
        let dir = TemporaryDirectory()
        try writeText(dir.child("bad.csv"), "time,metric,value\n2024-05-01T00:00:00Z,m,x\n")
        try writeText(dir.child("bad.json"), "{\"metrics\": []}")
        for (kind, file) in [("csv", "bad.csv"), ("soda", "bad.json")] {
            let store = dir.child("new-\(kind)")
            let result = try runTally(["ingest", kind, dir.child(file), "--store", store])
            #expect(result.status == 2, "\(kind): \(result.stderr)")
            #expect(result.stderr.contains("not loaded"), "\(kind): \(result.stderr)")
            // Refused before the store was opened: nothing was created.
            #expect(!FileManager.default.fileExists(atPath: store), "\(kind)")
        }
        // A good file after a bad one still lands, in a store made then.
        try writeText(dir.child("good.csv"), "time,metric,value\n2024-05-01T00:00:00Z,m,1\n")
        let mixed = try runTally(["ingest", "csv", dir.child("bad.csv"), dir.child("good.csv"), "--store", dir.child("mixed")])
        #expect(mixed.status == 2 && mixed.stdout.contains("landed 1 point"), "\(mixed.stdout)\(mixed.stderr)")
        // A store another process writes stops the command at once, whatever the files.
        let held = try Store.open(at: dir.child("held"))
        let locked = try runTally(["ingest", "csv", dir.child("good.csv"), dir.child("good.csv"), "--store", dir.child("held")])
        #expect(locked.status == 1 && locked.stderr.contains("in use by another writer"), "\(locked.stderr)")
        // It names the process that holds the lock (this test's).
        #expect(locked.stderr.contains("is held by process \(ProcessInfo.processInfo.processIdentifier))"), "\(locked.stderr)")
        #expect(locked.stderr.components(separatedBy: "in use").count == 2, "reported once: \(locked.stderr)")
        try held.close()
    }

    @Test func ingestReadsPipesGivenByPath() throws {
        let dir = TemporaryDirectory()
        let fifo = dir.child("points.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let csv = "time,metric,value\n2024-05-01T00:00:00Z,m,1\n2024-05-02T00:00:00Z,m,2\n"
        // A reader that stops early must fail the test, not end it with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let writer = Thread {
            // Opening blocks until `tally` opens the other end.
            if let handle = FileHandle(forWritingAtPath: fifo) {
                try? handle.write(contentsOf: Data(csv.utf8))
                try? handle.close()
            }
        }
        writer.start()
        let result = try runTally(["ingest", "csv", fifo, "--store", dir.child("store")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("landed 2 points"), "\(result.stdout)")
    }
}
