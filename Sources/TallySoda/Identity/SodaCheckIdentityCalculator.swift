/// The identity versions soda-core 3.x sends for a check (`identities`).
public struct SodaCheckIdentities: Sendable, Hashable {
    /// `blake2b4(header + line [+ "automated_monitoring"] [+ config YAML])`.
    public var v1: String
    /// v1's input plus the data source name.
    public var v2: String
    /// v2's input plus the basename of the checks file. soda-core 3.x also sends this as `identity`.
    public var v3: String
    /// The user's `identity:` setting, when present (not computable; copied from the configuration).
    public var v4: String?

    /// The identities by version (`v1` … `v4`), as scan documents send them and the catalog keeps them.
    public var versions: [String: String] {
        var all = ["v1": v1, "v2": v2, "v3": v3]
        all["v4"] = v4
        return all
    }

    /// Creates identities.
    public init(v1: String, v2: String, v3: String, v4: String? = nil) {
        self.v1 = v1
        self.v2 = v2
        self.v3 = v3
        self.v4 = v4
    }
}

/// Why a check identity could not be computed.
public struct SodaCheckIdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    /// The message.
    public var description: String { message }
}

/// Computes soda-core 3.x check identities (v1, v2, v3) from what a scan document carries: the
/// check's `definition`, `dataSource` and `location.filePath`.
///
/// soda-core hashes (BLAKE2b, 4-byte digest, see ``SodaIdentityHasher``), in order: the source header
/// (`checks for orders`), the source line (`row_count > 0`), `"automated_monitoring"` for automated
/// monitoring checks, and, when the check has a configuration dict, the YAML text of that dict with the
/// keys `name`, `samples limit`, `identity`, `attributes`, `template`, `warn_only` removed (for
/// `anomaly detection for ...` checks also `take_over_existing_anomaly_score_check`,
/// `training_dataset_parameters`, `model`, `severity_level_parameters`), the rest sorted by key and
/// dumped by ruamel.yaml as an `OrderedDict` (which ruamel writes as a `!!omap`). v2 adds the data
/// source name and v3 the basename of the checks file.
///
/// The `definition` string is ruamel's dump of `{header: [{line: config}]}` with the same settings
/// (mapping indent 2, sequence indent 4, offset 2), or `"{header}:\n  {line}"` when the check has no
/// configuration. So the `!!omap` text can be rebuilt from it: each top-level config entry (at column
/// 6) becomes `  - key: ...` with its nested lines moved 2 columns left; entries are sorted by key.
///
/// Limits (the calculation refuses rather than guesses):
/// * lines of 80 or more characters: ruamel folds long plain scalars at column 80, and the fold point
///   moves when the text moves left, so such definitions are refused;
/// * a quoted header or line is unquoted (single quotes with `''`, double quotes with JSON-style
///   escapes); other YAML forms (`? ` complex keys, block scalars for keys) are refused.
///
/// Checked against every check of every fixture document (v1, v2 and v3).
public enum SodaCheckIdentityCalculator {
    /// Configuration keys soda-core leaves out of every check identity.
    public static let ignoredKeys: Set<String> = ["name", "samples limit", "identity", "attributes", "template", "warn_only"]
    /// Configuration keys also left out for `anomaly detection for ...` (v2 anomaly) checks.
    public static let ignoredAnomalyDetectionKeys: Set<String> = [
        "take_over_existing_anomaly_score_check", "training_dataset_parameters", "model", "severity_level_parameters",
    ]

    /// Computes v1/v2/v3 for a check. `v4` is copied from `userIdentity`.
    ///
    /// - Parameters:
    ///   - definition: the check's `definition` from the scan document.
    ///   - dataSource: the check's `dataSource`.
    ///   - filePath: the check's `location.filePath` (only its basename is used).
    ///   - automatedMonitoring: whether the check came from `automated monitoring:` (it sits in
    ///     `automatedMonitoringChecks`).
    ///   - userIdentity: the user's `identity:` setting, if known.
    public static func identities(
        definition: String, dataSource: String, filePath: String, automatedMonitoring: Bool = false, userIdentity: String? = nil
    ) throws(SodaCheckIdentityError) -> SodaCheckIdentities {
        let source = try parseDefinition(definition)
        var base: [String] = [source.header, source.line]
        if automatedMonitoring { base.append("automated_monitoring") }
        if let yaml = source.configurationYAML { base.append(yaml) }
        let basename = filePath.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? filePath
        func hash(_ parts: [String]) -> String {
            SodaIdentityHasher.hash(parts.map { .string($0) }) ?? ""
        }
        return SodaCheckIdentities(
            v1: hash(base), v2: hash(base + [dataSource]), v3: hash(base + [dataSource, basename]), v4: userIdentity)
    }

    /// The pieces of a check source recovered from its `definition`.
    public struct Source: Sendable, Equatable {
        /// The section header, e.g. `checks for orders`.
        public var header: String
        /// The check line, e.g. `row_count > 0`.
        public var line: String
        /// The `!!omap` YAML text soda-core hashes, `nil` when nothing of the configuration is hashed.
        public var configurationYAML: String?
    }

    /// Recovers header, line and hashed configuration YAML from a `definition`.
    public static func parseDefinition(_ definition: String) throws(SodaCheckIdentityError) -> Source {
        let allLines = definition.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard allLines.count >= 2, allLines[0].hasSuffix(":") else {
            throw SodaCheckIdentityError(message: "definition does not start with a '<header>:' line")
        }
        if let long = allLines.first(where: { $0.count >= 80 }) {
            throw SodaCheckIdentityError(message: "definition has a line of \(long.count) characters; ruamel.yaml folding cannot be reproduced")
        }
        let header = try unquote(String(allLines[0].dropLast()))
        if !allLines[1].hasPrefix("  - ") {
            // Plain form: f"{header}:\n  {line}" (the line is raw text, not YAML).
            guard allLines[1].hasPrefix("  ") else {
                throw SodaCheckIdentityError(message: "definition's second line is not indented by two spaces")
            }
            let line = String(definition.dropFirst(allLines[0].count + 3))
            return Source(header: header, line: line, configurationYAML: nil)
        }
        // YAML form: ruamel output ends with one newline.
        var lines = allLines
        if definition.hasSuffix("\n") { lines.removeLast() }
        guard lines.count >= 2 else { throw SodaCheckIdentityError(message: "definition is empty after the header") }
        let first = String(lines[1].dropFirst(4))
        guard first.hasSuffix(":") else {
            throw SodaCheckIdentityError(message: "check line of a configured check does not end with ':'")
        }
        let line = try unquote(String(first.dropLast()))
        var entries: [(key: String, lines: [String])] = []
        for text in lines.dropFirst(2) {
            let indent = text.prefix(while: { $0 == " " }).count
            if indent == 6 && text.count > 6 {
                let body = text.dropFirst(6)
                guard let key = yamlKey(body) else {
                    throw SodaCheckIdentityError(message: "cannot read a configuration key from \"\(body)\"")
                }
                entries.append((key, [text]))
            } else {
                guard !entries.isEmpty else {
                    throw SodaCheckIdentityError(message: "configuration line before the first key: \"\(text)\"")
                }
                guard text.isEmpty || indent > 6 else {
                    throw SodaCheckIdentityError(message: "unexpected indentation in \"\(text)\"")
                }
                entries[entries.count - 1].lines.append(text)
            }
        }
        let isAnomalyDetection = line.hasPrefix("anomaly detection for ")
        let kept = entries.filter { entry in
            !ignoredKeys.contains(entry.key) && !(isAnomalyDetection && ignoredAnomalyDetectionKeys.contains(entry.key))
        }
        guard !kept.isEmpty else { return Source(header: header, line: line, configurationYAML: nil) }
        let sorted = kept.enumerated().sorted { a, b in
            a.element.key.unicodeScalars.lexicographicallyPrecedes(b.element.key.unicodeScalars)
        }.map(\.element)
        var yaml = "!!omap\n"
        for entry in sorted {
            for (i, text) in entry.lines.enumerated() {
                if i == 0 {
                    yaml += "  - " + text.dropFirst(6) + "\n"
                } else if text.isEmpty {
                    yaml += "\n"
                } else {
                    yaml += text.dropFirst(2) + "\n"
                }
            }
        }
        return Source(header: header, line: line, configurationYAML: yaml)
    }

    /// The (unquoted) key of a `key: value` / `key:` YAML line.
    static func yamlKey(_ body: Substring) -> String? {
        if body.hasPrefix("'") || body.hasPrefix("\"") {
            let quote = body.first!
            var index = body.index(after: body.startIndex)
            while index < body.endIndex {
                if body[index] == quote {
                    let next = body.index(after: index)
                    if quote == "'" && next < body.endIndex && body[next] == "'" {
                        index = body.index(after: next)
                        continue
                    }
                    guard next < body.endIndex, body[next] == ":" else { return nil }
                    return try? unquote(String(body[...index]))
                }
                if quote == "\"" && body[index] == "\\" { index = body.index(after: index) }
                if index < body.endIndex { index = body.index(after: index) }
            }
            return nil
        }
        if body.hasPrefix("? ") || body.hasPrefix("- ") { return nil }
        if let range = body.firstRange(of: ": ") { return String(body[..<range.lowerBound]) }
        if body.hasSuffix(":") { return String(body.dropLast()) }
        return nil
    }

    static func unquote(_ text: String) throws(SodaCheckIdentityError) -> String {
        if text.count >= 2, text.hasPrefix("'"), text.hasSuffix("'") {
            return String(text.dropFirst().dropLast()).split(separator: "''", omittingEmptySubsequences: false).joined(separator: "'")
        }
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
            do {
                guard case let .string(s) = try SodaJSONParser.parse(text) else { throw SodaCheckIdentityError(message: "") }
                return s
            } catch {
                throw SodaCheckIdentityError(message: "cannot unquote \(text)")
            }
        }
        if text.hasPrefix("? ") || text.hasPrefix("|") || text.hasPrefix(">") {
            throw SodaCheckIdentityError(message: "unsupported YAML key form: \(text)")
        }
        return text
    }
}
