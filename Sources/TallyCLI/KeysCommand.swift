import ArgumentParser
import Tally
import TallyServer

extension APIKeyRole: ExpressibleByArgument {}

extension TallyCommand {
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the API keys of `tally serve`.",
            discussion: """
                A key has an id and a secret; the store keeps only the SHA-256 of the secret, so the secret is \
                printed once, by `create`. Keys work while the server runs: a revoked key is refused at its next \
                request.
                """,
            subcommands: [Create.self, List.self, Revoke.self]
        )

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a key and print its secret (once).")

            @OptionGroup var location: StoreLocation
            @Option(help: "read (queries, Soda history) or write (also ingest, Soda scan results).") var role: APIKeyRole
            @Option(help: "A name to recognise it by.") var name = ""
            @Option(help: "Output format: table, csv or json.") var format: OutputFormat = .table

            func run() throws {
                try runReportingErrors {
                    if !Store.exists(at: location.path) {
                        try Store.open(at: location.path).close()
                    }
                    let issued = try KeyManager(storePath: location.path).create(role: role, name: name)
                    switch format {
                    case .json:
                        printOut("{\"id\": \(JSONText.string(issued.record.id)), \"secret\": \(JSONText.string(issued.secret)), "
                                 + "\"token\": \(JSONText.string(issued.token)), \"role\": \(JSONText.string(issued.record.role.rawValue)), "
                                 + "\"name\": \(JSONText.string(issued.record.name))}")
                        return
                    case .csv:
                        printRecords(header: ["id", "secret", "token", "role", "name"],
                                     rows: [[issued.record.id, issued.secret, issued.token, issued.record.role.rawValue, issued.record.name]],
                                     format: .csv)
                        return
                    case .table:
                        break
                    }
                    printOut("""
                        created \(issued.record.role) key \(issued.record.id)\(name.isEmpty ? "" : " (\(name))")
                        id:     \(issued.record.id)
                        secret: \(issued.secret)
                        token:  \(issued.token)

                        HTTP:      Authorization: Bearer <token>   (or X-API-Key: <token>)
                        Soda Core: soda_cloud: {host: 127.0.0.1, port: 8080, scheme: http,
                                                api_key_id: \(issued.record.id), api_key_secret: <secret>}
                        The secret is shown only now; the store keeps only its SHA-256.
                        """)
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the keys (never their secrets).")

            @OptionGroup var location: StoreLocation
            @Option(help: "Output format: table, csv or json.") var format: OutputFormat = .table

            func run() throws {
                try runReportingErrors {
                    guard Store.exists(at: location.path) else {
                        throw CLIFailure(message: "no Tally store at \(location.path) (set --store or $TALLY_STORE)", code: 1)
                    }
                    let keys = try KeyManager(storePath: location.path, readOnly: true).list()
                    let header = ["id", "name", "role", "created", "revoked"]
                    let rows = keys.map { k in
                        [k.id, k.name, k.role.rawValue, TimeText.format(k.created), k.revoked.map(TimeText.format) ?? ""]
                    }
                    switch format {
                    case .table: printOut(alignedTable([header] + rows))
                    case .csv: for row in [header] + rows { printOut(row.map(CSVText.field).joined(separator: ",")) }
                    case .json:
                        printOut("[" + keys.map { k in
                            "{\"id\": \(JSONText.string(k.id)), \"name\": \(JSONText.string(k.name)), "
                                + "\"role\": \(JSONText.string(k.role.rawValue)), \"created\": \(JSONText.string(TimeText.format(k.created))), "
                                + "\"revoked\": \(k.revoked.map { JSONText.string(TimeText.format($0)) } ?? "null")}"
                        }.joined(separator: ",\n ") + "]")
                    }
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a key: it stops working at once.")

            @OptionGroup var location: StoreLocation
            @Argument(help: "The key id (tk_…).") var id: String

            func run() throws {
                try runReportingErrors {
                    guard Store.exists(at: location.path) else {
                        throw CLIFailure(message: "no Tally store at \(location.path) (set --store or $TALLY_STORE)", code: 1)
                    }
                    guard try KeyManager(storePath: location.path).revoke(id: id) else {
                        throw CLIFailure(message: "no key \(id) (tally keys list shows them)", code: 1)
                    }
                    printOut("revoked \(id)")
                }
            }
        }
    }
}
