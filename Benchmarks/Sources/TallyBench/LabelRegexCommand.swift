import ArgumentParser
import Tally

extension TallyBench {
    /// Selector regexes over many series keys: Tally's linear-time ``LabelPattern`` against Swift's `Regex`, which
    /// label matchers used before.
    struct LabelRegex: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "label-regex",
            abstract: "Time `SeriesSelector.matches` with regex matchers over --series keys, next to Swift's Regex.",
            discussion: """
                Series i has labels dataset="d<i / 20>" and column="c<i mod 20>" (as many-series), \
                blob=<40 a's>, and title=<word>-<i mod 100>, the word one of six in Latin, Greek or Han script, \
                some in capitals (values outside ASCII, for a case-insensitive class). For each pattern, one \
                repetition selects from every key with the selector \
                `{label=~"pattern"}`, then does the same with Swift's Regex (wholeMatch, as label matchers did \
                before). Figures are milliseconds per selection of all keys (median and minimum over --reps), \
                and microseconds per compilation of the pattern (`LabelPattern(_:)`, median over --reps of 100). \
                Swift's Regex takes exponential time on the nested-repetition patterns, so on those it is timed \
                once on a single value of --nested-length a's instead (each extra a multiplies its time).
                """
        )

        @Option(help: "Number of series keys.") var series: Int = 10_000
        @Option(help: "Repetitions.") var reps: Int = 7
        @Option(help: "The length of the one value Swift's Regex is timed on for the nested-repetition patterns.")
        var nestedLength: Int = 16
        @Option(help: "Output format: json or text.") var format: OutputFormat = .json
        @Option(help: "Also time store.series(matching:) with the dataset and column patterns on this store (e.g. one `many-series` built).")
        var store: String?

        func validate() throws {
            guard reps >= 1, series >= 1 else { throw ValidationError("--reps and --series must be at least 1") }
        }

        func run() throws {
            try runReportingFailures { try measure() }
        }

        /// (label, pattern, whether Swift's Regex can be timed on it).
        static let patterns: [(String, String, Bool)] = [
            ("dataset", "d1", true),
            ("dataset", "d1|d2|d3", true),
            ("dataset", "d1.*", true),
            ("dataset", ".*7", true),
            ("dataset", "d[0-9]{2}", true),
            ("dataset", "(?i)D(1|2)\\d*", true),
            ("column", "c(1|2|3)|c1[0-9]", true),
            ("dataset", "[a-z]+[0-9]+(_[a-z0-9]+)*", true),
            ("title", "(?i)[a-zß-ÿά-ώ]+-\\d+", true),
            ("title", "(?i)[\\x{0}-\\x{10FFFF}]+-\\d+", true),   // a class holding every cased scalar
            ("blob", "(a+)+b", false),
            ("blob", "(.*)*b", false),
        ]

        /// The words of the `title` label: the uppercase ones have scalars outside ASCII that only a case of them
        /// is in the class `[a-zß-ÿά-ώ]`, and the Han one is in no case of it.
        static let titleWords = ["Größe", "GRÖẞE", "ÆRØ", "Σίσυφος", "ΣΊΣΥΦΟΣ", "日本"]

        private func measure() throws {
            let blob = String(repeating: "a", count: 40)
            let keys = (0..<series).map { i in
                SeriesKey(metric: "m", labels: [Label("blob", blob), Label("column", "c\(i % 20)"),
                                                Label("dataset", "d\(i / 20)"),
                                                Label("title", "\(Self.titleWords[i % 6])-\(i % 100)")])
            }
            var rows: [JSONValue] = []
            for (label, pattern, timeSwiftRegex) in Self.patterns {
                let selector = SeriesSelector(matchers: [try LabelMatcher(name: label, op: .matchesRegex, value: pattern)])
                let regex = try SwiftRegexBox(pattern)
                var tally = Samples(), swift = Samples(), compile = Samples()
                var selected = 0
                for _ in 0..<reps {
                    let (compileMs, _) = try timedMillis { try compileHundredTimes(pattern) }
                    compile.add(compileMs * 10)   // µs per compilation
                    let (ms, count) = timedMillis { countSelected(keys, selector) }
                    tally.add(ms)
                    selected = count
                    if timeSwiftRegex {
                        let (swiftMs, swiftCount) = timedMillis { countSelected(keys, label, regex) }
                        swift.add(swiftMs)
                        guard swiftCount == count else {
                            throw BenchFailure("\(pattern): Swift's Regex selects \(swiftCount) keys, LabelPattern \(count)")
                        }
                    }
                }
                rows.append(.object([
                    ("label", .string(label)), ("pattern", .string(pattern)), ("selected", .int(selected)),
                    ("tally_ms", .object([("median", .double(tally.median)), ("min", .double(tally.min))])),
                    ("compile_us", .object([("median", .double(compile.median)), ("min", .double(compile.min))])),
                    ("swift_regex_ms", timeSwiftRegex
                        ? .object([("median", .double(swift.median)), ("min", .double(swift.min))]) : .string("not run")),
                ]))
                if !timeSwiftRegex {
                    let value = String(repeating: "a", count: nestedLength)
                    let (ms, matched) = timedMillis { regex.wholeMatches(value) }
                    rows.append(.object([
                        ("label", .string(label)), ("pattern", .string(pattern)), ("selected", .int(matched ? 1 : 0)),
                        ("swift_regex_one_value_ms", .double(ms)), ("value_length", .int(nestedLength)),
                    ]))
                }
            }
            var storeRows: [JSONValue] = []
            if let store {
                guard Store.exists(at: store) else { throw BenchFailure("no Tally store at \(store)") }
                let opened = try Store.open(at: store, options: StoreOptions(readOnly: true))
                _ = opened.series(matching: SeriesSelector(metric: "none"))   // builds what the first selection needs
                // The last two reject a missing label; the series all have a non-empty dataset.
                let negative: [(String, MatchOperator, String)] = [("dataset", .notMatchesRegex, "d1.*"),
                                                                   ("dataset", .notEqual, "d1"),
                                                                   ("dataset", .notEqual, ""),
                                                                   ("dataset", .notMatchesRegex, "(d1.*)?")]
                let selections = Self.patterns.filter { $0.0 == "dataset" || $0.0 == "column" }
                    .map { ($0.0, MatchOperator.matchesRegex, $0.1) } + negative
                for (label, op, pattern) in selections {
                    let selector = SeriesSelector(matchers: [try LabelMatcher(name: label, op: op, value: pattern)])
                    var samples = Samples()
                    var selected = 0
                    for _ in 0..<reps {
                        let (ms, infos) = timedMillis { opened.series(matching: selector) }
                        samples.add(ms)
                        selected = infos.count
                    }
                    // The answer, checked against matching every key.
                    let matching = opened.series(matching: .all).reduce(0) { $0 + (selector.matches($1.key) ? 1 : 0) }
                    guard matching == selected else {
                        throw BenchFailure("\(selector) selects \(selected) series; matching every key gives \(matching)")
                    }
                    storeRows.append(.object([
                        ("label", .string(label)), ("op", .string(op.rawValue)), ("pattern", .string(pattern)),
                        ("selected", .int(selected)),
                        ("ms", .object([("median", .double(samples.median)), ("min", .double(samples.min))])),
                    ]))
                }
            }
            emit(.object([
                ("engine", .string("tally")), ("version", .string(tallyBenchVersion)), ("series", .int(series)),
                ("reps", .int(reps)), ("patterns", .array(rows)),
                ("store", store.map { .string($0) } ?? .string("none")), ("store_selections", .array(storeRows)),
            ]), format: format)
        }
    }
}

/// Swift's `Regex`, which is not Sendable, held for the single-threaded baseline.
private struct SwiftRegexBox {
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws { regex = try Regex(pattern) }

    func wholeMatches(_ value: String) -> Bool { (try? regex.wholeMatch(in: value)) != nil }
}

@inline(never)
private func compileHundredTimes(_ pattern: String) throws -> Int {
    var sources = 0
    for _ in 0..<100 { sources += try LabelPattern(pattern).source.utf8.count }
    return sources
}

@inline(never)
private func countSelected(_ keys: [SeriesKey], _ selector: SeriesSelector) -> Int {
    keys.reduce(0) { $0 + (selector.matches($1) ? 1 : 0) }
}

@inline(never)
private func countSelected(_ keys: [SeriesKey], _ label: String, _ regex: SwiftRegexBox) -> Int {
    keys.reduce(0) { $0 + (regex.wholeMatches($1[label: label] ?? "") ? 1 : 0) }
}
