import ArgumentParser
import Tally
#if canImport(Glibc)
import Glibc
#endif

extension TallyCommand {
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the store, consistently, while it is in use (the copy is itself a store).")

        @OptionGroup var location: StoreLocation
        @Argument(help: "Where to put the copy (must not exist).") var directory: String

        func run() throws {
            try runReportingErrors {
                try location.requireStore()
                let report = try Store.backup(storeAt: location.path, to: directory)
                printOut("backed up every batch up to \(report.lsn): \(counted(report.segments, "segment")), \(counted(report.walFiles, "WAL file")), "
                         + "\(counted(report.documentFiles, "document file")), \(counted(report.bytes, "byte"))")
                guard report.problems.isEmpty else {
                    for problem in report.problems { printError("damaged: \(problem)") }
                    throw CLIFailure(message: "the backup in \(directory) holds damage copied from the store: it cannot be "
                                     + "restored as it is (run `tally verify` on the store; `tally repair` keeps what can be read)", code: 1)
                }
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
                printOut("restored \(backup) into \(store): \(counted(report.segmentsChecked, "segment")), "
                         + "\(counted(report.walRecordsChecked, "WAL record")), verified \(report.isClean ? "clean" : "with problems")")
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
                printOut("after the repair: " + (report.after.isClean ? "the store verifies clean" : "\(counted(report.after.problems.count, "problem")) remain\(report.after.problems.count == 1 ? "s" : "")"))
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
                // The whole dump is checked before anything is made, so a bad dump leaves nothing behind.
                let contents = try StoreDump.parse(try readInput(input), source: input == "-" ? "<stdin>" : input)
                let target = try NewStoreTarget(store)
                var loaded = (series: 0, points: 0)
                try target.build { path in
                    let db = try Store.open(at: path)
                    do {
                        try StoreDump.load(contents, into: db)
                        let stats = db.stats()
                        loaded = (stats.series, stats.points)
                        try db.close()
                    } catch {
                        try? db.close()
                        throw error
                    }
                }
                printOut("loaded \(loaded.series) series and \(loaded.points) points into \(store)")
            }
        }
    }
}

/// Where `tally load` puts a new store: a missing path or an empty directory (or a symbolic link to one). The store
/// is built in a hidden directory beside it and renamed into place only when complete, so a failed load leaves
/// nothing behind and never touches anything it did not make, even if another process fills the path meanwhile.
struct NewStoreTarget {
    /// The directory the store ends up in (a symbolic link's target, resolved).
    let path: String

    /// Checks `requested`: it must not exist, or be an empty directory (directly or through a symbolic link).
    init(_ requested: String) throws {
        let trimmed = Directory.withoutTrailingSlashes(requested)
        var info = stat()
        if lstat(trimmed, &info) != 0 {
            path = trimmed   // missing: made by the rename
            return
        }
        if info.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(trimmed, nil) else {
                throw CLIFailure(message: "\(requested) is a symbolic link to a missing path: give the new store's directory itself", code: 1)
            }
            path = String(cString: resolved)
            free(resolved)
        } else {
            path = trimmed
        }
        guard Directory.isDirectory(path) else {
            throw CLIFailure(message: "\(requested) is a file: --store names the new store's directory", code: 1)
        }
        guard ((try? Directory.list(path)) ?? []).isEmpty else {
            throw CLIFailure(message: "\(requested) exists and is not empty: load needs a new store (choose another --store)", code: 1)
        }
    }

    /// Runs `body` on a new hidden directory beside ``path``, then renames it to ``path``. On any failure the hidden
    /// directory and the parent directories this call made are removed, and ``path`` is left as it was.
    func build(_ body: (String) throws -> Void) throws {
        let parent = Directory.parent(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        // Parents to make, outermost first, so that a failure can take away exactly those.
        var madeParents: [String] = []
        var ancestor = parent
        while !Directory.exists(ancestor) {
            madeParents.insert(ancestor, at: 0)
            ancestor = Directory.parent(of: ancestor)
        }
        let staging = parent + "/.\(name).load-\(getpid())"
        func cleanUp() {
            Directory.removeTree(staging)
            for made in madeParents.reversed() { rmdir(made) }
        }
        do {
            try Directory.create(parent)
            guard !Directory.exists(staging) else {
                throw CLIFailure(message: "\(staging) exists: a load with this process id did not finish; remove it", code: 1)
            }
            try body(staging)
            // rename() replaces a missing path or an empty directory, and fails if anything appeared there meanwhile.
            do {
                try Directory.renameDurably(staging, path)
            } catch {
                throw CLIFailure(message: "cannot move the loaded store into \(path): \(error) (did something else write there meanwhile?)", code: 1)
            }
        } catch {
            cleanUp()
            throw error
        }
    }
}
