import ArgumentParser
import Tally
#if canImport(Glibc)
import Glibc
#endif

/// `tally`: the command-line interface to a Tally store.
@main
struct TallyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "A metric store for data-quality scans.",
        discussion: """
            The store is --store PATH, else $TALLY_STORE, else ./tally-data.
            Exit codes: 0 success, 1 failure, 2 bad input (a malformed file, selector or query), 64 bad usage; \
            `tally check` exits 1 when something is anomalous and 3 when it could not check.
            """,
        subcommands: [
            Ingest.self, QueryCommand.self, Export.self, SeriesCommand.self, Check.self, Feedback.self, Backtest.self, ChartCommand.self, Serve.self, Keys.self, Stats.self, Verify.self, Compact.self, Retain.self, Delete.self, Backup.self, Restore.self, Repair.self, Upgrade.self, Dump.self, Load.self, Scans.self, Scan.self, Batches.self, Demo.self, CrashWriter.self,
        ]
    )

    /// Runs the command line; a first word that is no command (`tally qurey …`) is named, with the nearest command,
    /// rather than reported as unexpected arguments.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, !first.hasPrefix("-"), first != "help" {
            let names = configuration.subcommands.map { $0._commandName }
            if !names.contains(first) {
                let suggestion = Suggestions.nearest(to: first, in: names).map { "; did you mean `\($0)`?" } ?? ""
                printError("error: unknown command `\(first)`\(suggestion) (`tally --help` lists the commands)")
                Self.exit(withError: ExitCode(64))
            }
        }
        main(nil)
    }
}

/// The store location every command shares.
struct StoreLocation: ParsableArguments {
    @Option(name: .customLong("store"), help: "The store directory (default: $TALLY_STORE, else ./tally-data).")
    var store: String?

    /// The path to use: the option, else $TALLY_STORE, else ./tally-data.
    var path: String {
        if let store { return store }
        if let env = getenv("TALLY_STORE"), let value = String(validatingCString: env), !value.isEmpty { return value }
        return "./tally-data"
    }

    /// Opens the store for writing, creating it when missing (for commands that bring data in: `ingest`).
    func openOrCreateForWriting() throws -> Store {
        Self.noted(try Store.open(at: path))
    }

    /// Opens an existing store for writing. A command that changes or copies a store (`compact`, `delete`,
    /// `backup`, `series set`, …) on a path that holds none is a mistake (a typo, an unset $TALLY_STORE), not a
    /// request for an empty store.
    func openForWriting() throws -> Store {
        try requireStore()
        return Self.noted(try Store.open(at: path))
    }

    /// The store, after saying on stderr what its open cut off the end of the WAL (an operator must hear of it).
    static func noted(_ store: Store) -> Store {
        if let cut = store.cutWALTail { printError("warning: \(cut)") }
        return store
    }

    /// Opens the store for reading only: works while another process writes.
    func openForReading() throws -> Store {
        try requireStore()
        return try Store.open(at: path, options: StoreOptions(readOnly: true))
    }

    /// Fails (exit 1) when there is no store at the path.
    func requireStore() throws {
        guard Store.exists(at: path) else {
            throw CLIFailure(message: "no Tally store at \(path) (set --store or $TALLY_STORE)", code: 1)
        }
    }
}
