import Testing
@testable import TallyStorage
import TallyTestSupport
import TallyAnalysis

/// Seeded fuzzing of ``LabelPattern``: generated patterns against Swift's `Regex` (a backtracking engine, so an
/// independent implementation), and random text against the parser.
///
/// Swift's `Regex` is set to match on Unicode scalars with ASCII `\d \w \s` and simple word boundaries, which is
/// RE2's meaning. Where it still differs from RE2, the generator (``PatternFuzzer``) stays out, and the construct is
/// tested against RE2's documented behavior in `LabelPatternTests` instead:
/// - `a{,3}`: RE2 reads it as literal text, Swift as `a{0,3}`.
/// - `]` first in a class (`[]a]`, `[^]a]`) and `-` right after a class escape (`[\d-z]`): Swift refuses them.
/// - a repeated anchor or word boundary (`^*`, `\b+`): Swift refuses it.
/// - POSIX classes (`[[:alpha:]]`): RE2's are ASCII, Swift's are Unicode (`é` is alphabetic, and `_` is not in
///   `[[:word:]]`).
/// - case folding beyond the alphabet's letters (`a b A é É`): Swift compares its own case mappings, not RE2's case
///   folding orbits (`(?i)k` matches the Kelvin sign but `(?i)[k]` does not; `(?i)σ` does not match `ς`).
/// - line breaks other than `\n` (`\r`, U+0085, U+2028): Swift's `.` and `(?m)` anchors treat them as line breaks,
///   RE2's do not; the alphabet's only line break is `\n`.
/// - `\b` and `\B` under scalar semantics: Swift's simple word boundaries then take digits for non-word scalars
///   (`b\B1` does not match `b1`), against its own definition and RE2's. Patterns with a word boundary are given to
///   Swift with grapheme-cluster semantics, which on these values is the same thing: each scalar of the alphabet is
///   a grapheme cluster of its own.
/// - `{n,}` with n ≥ 2 on a group that can match the empty string at some positions only (`(^|-){2,}`): Swift stops
///   the repetition after an empty iteration even below its minimum, so it does not match `-`, which RE2 (like any
///   automaton) does. Swift is given such counts written out (``FuzzPattern/expandedText``), the same language.
@Suite("Label pattern fuzzing")
struct LabelPatternFuzzTests {
    /// Swift's `Regex` for a pattern, set up for RE2's meaning (see the suite's comment).
    static func swiftRegex(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        let hasWordBoundary = pattern.contains("\\b") || pattern.contains("\\B")
        return try Regex(pattern)
            .matchingSemantics(hasWordBoundary ? .graphemeCluster : .unicodeScalar)
            .wordBoundaryKind(.simple)
            .asciiOnlyWordCharacters()
            .asciiOnlyDigits()
            .asciiOnlyWhitespace()
    }

    /// 3,000 generated patterns, each on 20 values (drawn from the pattern, altered, or random), agree with Swift's
    /// `Regex` on whether the whole value matches.
    @Test func agreesWithSwiftRegexOnAWiderGrammar() throws {
        var fuzzer = PatternFuzzer(seed: 0xF0CA_CC1A)
        var compared = 0, matched = 0
        var disagreements: [String] = []
        for _ in 0..<3000 {
            let pattern = fuzzer.pattern()
            let text = pattern.text
            let ours: LabelPattern, theirs: Regex<AnyRegexOutput>
            do {
                ours = try LabelPattern(text)
                theirs = try Self.swiftRegex(pattern.expandedText)
            } catch {
                disagreements.append("\(quoteLabelValue(text)) does not compile: \(error)")
                continue
            }
            for value in fuzzer.values(for: pattern, count: 20) {
                let expected = try theirs.wholeMatch(in: value) != nil
                compared += 1
                if expected { matched += 1 }
                if ours.matchesWhole(value) != expected {
                    disagreements.append("\(quoteLabelValue(text)) on \(quoteLabelValue(value)): expected \(expected)")
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements:\n\(disagreements.prefix(30).joined(separator: "\n"))")
        // Neither answer dominates, so both kinds of mistake would show.
        #expect(compared == 60_000 && matched > 15_000 && matched < 45_000, "\(matched) of \(compared) matched")
    }

    /// Random text of printable ASCII, regex metacharacters and non-ASCII scalars (a combining accent, an emoji,
    /// NUL, `\n`) either compiles — and then matches values without trapping — or is refused with a column inside
    /// the pattern (or just past its end) that the message names.
    @Test func randomTextIsCompiledOrRefusedWithAColumn() {
        var rng = SeededGenerator(seed: 0x5017_B17E)
        let metacharacters = Array("()[]{}|*+?.^$\\-:,=!<>#PQEbBdDwWsSxkpz0123456789imsU".unicodeScalars)
        let others: [Unicode.Scalar] = ["\u{E9}", "\u{65E5}", "\u{301}", "\u{1F600}", "\u{212A}", "\n", "\u{0}"]
        var compiled = 0
        var problems: [String] = []
        for _ in 0..<20_000 {
            var pattern = ""
            for _ in 0..<Int.random(in: 0...24, using: &rng) {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<5: pattern.unicodeScalars.append(metacharacters.randomElement(using: &rng)!)
                case 5..<8: pattern.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng)))
                default: pattern.unicodeScalars.append(others.randomElement(using: &rng)!)
                }
            }
            do throws(LabelPatternError) {
                let compiledPattern = try LabelPattern(pattern)
                compiled += 1
                _ = compiledPattern.matchesWhole(pattern)
                _ = compiledPattern.matchesWhole(String(repeating: pattern, count: 3))
            } catch {
                let columns = 1...(pattern.unicodeScalars.count + 1)
                guard let column = error.column else {
                    // Only a pattern too large as a whole has no column.
                    if !error.message.hasPrefix("the pattern is too large") {
                        problems.append("\(quoteLabelValue(pattern)): no column in \(error)")
                    }
                    continue
                }
                if !columns.contains(column) || !error.message.contains("at column \(column)") {
                    problems.append("\(quoteLabelValue(pattern)): column \(column) for \(error)")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(20).joined(separator: "\n"))")
        #expect(compiled > 2000, "\(compiled) of 20000 compiled")
    }
}
