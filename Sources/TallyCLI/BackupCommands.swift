import ArgumentParser
import Tally

extension TallyCommand {
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the store, consistently, while it is in use (the copy is itself a store).")

        @OptionGroup var location: StoreLocation
        @Argument(help: "Where to put the copy (must not exist).") var directory: String

        func run() throws {
            try runReportingErrors {
                let store = try location.openForWriting()
                let report = try store.backup(to: directory)
                try store.close()
                printOut("backed up every batch up to \(report.lsn): \(report.segments) segments, \(report.walFiles) WAL files, \(report.documentFiles) document files, \(report.bytes) bytes")
            }
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new store from a backup, and verify it.")

        @Argument(help: "The backup directory.") var backup: String
        @Option(name: .customLong("store"), help: "The new store's directory (must not exist).") var store: String

        func run() throws {
            try runReportingErrors {
                let report = try Store.restore(from: backup, to: store)
                printOut("restored \(backup) into \(store): \(report.segmentsChecked) segments, \(report.walRecordsChecked) WAL records, verified \(report.isClean ? "clean" : "with problems")")
                if !report.isClean { throw ExitCode(1) }
            }
        }
    }
}

extension TallyCommand {
    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Repair a damaged store: keep what can be read, move damaged files into damaged/, report what was lost.")

        @OptionGroup var location: StoreLocation

        func run() throws {
            try runReportingErrors {
                let report = try Store.repair(at: location.path)
                if report.findings.isEmpty { printOut("nothing to repair") }
                for finding in report.findings { printOut(finding.description) }
                printOut("after the repair: " + (report.after.isClean ? "the store verifies clean" : "\(report.after.problems.count) problems remain"))
                for problem in report.after.problems { printError("damaged: \(problem)") }
                if !report.after.isClean { throw ExitCode(1) }
            }
        }
    }
}

extension TallyCommand {
    struct Upgrade: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Migrate an older store in place to the formats this Tally writes (crash-safe; run again to continue).")

        @OptionGroup var location: StoreLocation

        func run() throws {
            try runReportingErrors {
                let report = try Store.upgrade(at: location.path)
                let current = FormatReport.current
                if report.migrated.isEmpty {
                    printOut("catalog schema \(report.catalogSchema): current")
                } else {
                    printOut("catalog schema migrated from \(report.migrated.first!) to \(report.catalogSchema)")
                }
                func describe(_ name: String, _ versions: [Int: Int], _ latest: Int) -> String {
                    let parts = versions.keys.sorted().map { "\(versions[$0]!) of version \($0)" }
                    return "\(name) (current version \(latest)): " + (parts.isEmpty ? "none" : parts.joined(separator: ", "))
                }
                printOut(describe("segments", report.segmentVersions, current.segment))
                printOut(describe("WAL files", report.walVersions, current.wal))
                printOut(describe("document files", report.documentVersions, current.documents))
            }
        }
    }
}

extension TallyCommand {
    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the whole store (series, attributes, batches, documents, points with LSNs) as a portable stream.")

        @OptionGroup var location: StoreLocation
        @Option(help: "Write to this file instead of standard output.") var output: String?

        func run() throws {
            try runReportingErrors {
                let store = try location.openForReading()
                var text: [UInt8] = []
                let file = try output.map { path in try File.openForWriting(path, create: true, truncate: true) }
                var offset = 0
                func flushText() throws {
                    guard !text.isEmpty else { return }
                    if let file {
                        try file.write(text, at: offset)
                        offset += text.count
                    } else {
                        print(String(decoding: text, as: UTF8.self), terminator: "")
                    }
                    text.removeAll(keepingCapacity: true)
                }
                var failure: (any Error)?
                try StoreDump.write(store) { line in
                    text.append(contentsOf: line.utf8)
                    text.append(0x0A)
                    if text.count > 1 << 20 { do { try flushText() } catch { failure = error } }
                }
                if let failure { throw failure }
                try flushText()
                try file?.sync()
            }
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rebuild a store from a `tally dump` stream.")

        @Argument(help: "The dump file (`-` for standard input).") var input: String
        @Option(name: .customLong("store"), help: "The new store's directory (must be missing or empty).") var store: String

        func run() throws {
            try runReportingErrors {
                // The whole dump is checked before the store is made, so a bad dump leaves nothing behind.
                let contents = try StoreDump.parse(try readInput(input), source: input == "-" ? "<stdin>" : input)
                let existed = Directory.exists(store)
                if existed {
                    guard Directory.isDirectory(store) else {
                        throw CLIFailure(message: "\(store) is a file: --store names the new store's directory", code: 1)
                    }
                    guard ((try? Directory.list(store)) ?? []).isEmpty else {
                        throw CLIFailure(message: "\(store) exists and is not empty: load needs a new store (choose another --store)", code: 1)
                    }
                }
                do {
                    let db = try Store.open(at: store)
                    do {
                        try StoreDump.load(contents, into: db)
                        let stats = db.stats()
                        try db.close()
                        printOut("loaded \(stats.series) series and \(stats.points) points into \(store)")
                    } catch {
                        try? db.close()
                        throw error
                    }
                } catch {
                    // Nothing was loaded: take away what this command made (the directory, or what it put in it).
                    if existed {
                        for name in (try? Directory.list(store)) ?? [] { Directory.removeTree(store + "/" + name) }
                    } else {
                        Directory.removeTree(store)
                    }
                    throw error
                }
            }
        }
    }
}
