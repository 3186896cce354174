import Testing
@testable import TallyStorage
import TallyTestSupport
import TallyAnalysis

/// The linear-time regular expressions of label matchers (``LabelPattern``): what each construct matches, that
/// they agree with Swift's `Regex` on the shared subset, that nested repetition cannot blow up, and the errors.
@Suite("Label patterns")
struct LabelPatternTests {
    /// (pattern, value, whether the pattern matches the whole value).
    static let cases: [(String, String, Bool)] = [
        // Literals; the match is anchored at both ends.
        ("abc", "abc", true), ("abc", "abd", false), ("abc", "abcd", false), ("abc", "xabc", false), ("abc", "", false),
        ("", "", true), ("", "a", false), ("日本", "日本", true), ("日本", "日", false),
        // `.`: any scalar but \n, unless (?s).
        ("a.c", "abc", true), ("a.c", "ac", false), ("a.c", "a\nc", false), ("(?s)a.c", "a\nc", true),
        (".", "\u{E9}", true), (".", "日", true),
        // The unit is the Unicode scalar: e + combining acute is two, and is not the precomposed é.
        (".", "e\u{301}", false), ("..", "e\u{301}", true), ("\u{E9}", "e\u{301}", false), ("e\u{301}", "e\u{301}", true),
        // Escapes.
        ("a\\.b", "a.b", true), ("a\\.b", "axb", false), ("\\\\", "\\", true),
        ("\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\/\\-\\.", "*+?()[]{}|^$/-.", true),
        ("\\d+", "0123456789", true), ("\\d", "a", false), ("\\d", "\u{663}", false), ("\\D", "a", true), ("\\D", "1", false),
        ("\\w+", "aZ_9", true), ("\\w", "-", false), ("\\w", "\u{E9}", false), ("\\W", "-", true), ("\\W", "a", false),
        ("\\s", "\t", true), ("\\s", " ", true), ("\\s", "\n", true), ("\\s", "\u{0B}", false), ("\\S", " ", false),
        ("\\S", "x", true), ("a\\tb", "a\tb", true), ("\\n", "\n", true), ("\\r", "\r", true), ("\\f\\v\\a", "\u{0C}\u{0B}\u{07}", true),
        ("\\x41", "A", true), ("\\x{263A}", "\u{263A}", true), ("\\x{10FFFF}", "\u{10FFFF}", true), ("\\x{0000000041}", "A", true), ("\\x{1F600}", "\u{1F600}", true),
        ("\\Qa.b*\\E", "a.b*", true), ("\\Qa.b*\\E", "axbb", false), ("\\Qab", "ab", true), ("\\Qab\\E+", "abbb", true),
        ("\\Qab\\E+", "abab", false), ("\\ ", " ", true), ("\\_", "_", true),
        // Classes.
        ("[abc]", "b", true), ("[abc]", "d", false), ("[a-z]+", "hello", true), ("[a-z]", "H", false),
        ("[^a-z]", "H", true), ("[^a-z]", "h", false), ("[^a]", "\n", true), ("[^a]", "日", true),
        ("[]a]", "]", true), ("[]a]", "a", true), ("[]a]", "b", false), ("[^]a]", "]", false), ("[^]a]", "b", true),
        ("[a-]", "-", true), ("[-a]", "-", true), ("[a-c-e]", "-", true), ("[a-c-e]", "d", false),
        ("[\\d.]+", "1.5", true), ("[\\w-]+", "a-b_c", true), ("[^\\d]", "5", false), ("[\\D]", "x", true),
        ("[\\d-z]", "-", true), ("[a\\]]", "]", true), ("[\\^]", "^", true), ("[[]", "[", true), ("[a[:digit:]]", "7", true),
        ("[[:alpha:]]+", "abcXYZ", true), ("[[:digit:]]", "a", false), ("[[:^digit:]]", "a", true),
        ("[[:upper:][:space:]]+", "A B", true), ("[[:xdigit:]]+", "09afAF", true), ("[[:xdigit:]]", "g", false),
        ("[\u{E0}-\u{FF}]+", "\u{E9}\u{E8}", true), ("[\\x{4E00}-\\x{9FFF}]+", "日本", true),
        // Groups and alternation.
        ("(ab)+", "abab", true), ("(ab)+", "aba", false), ("(?:ab|cd)*", "abcdab", true), ("(?:ab|cd)*", "abc", false),
        ("a|b|c", "b", true), ("a|b|c", "d", false), ("orders|customers", "customers", true),
        ("orders|customers", "order", false), ("orders|customers", "ordersx", false),
        ("(?P<x>a+)b", "aab", true), ("(?<word>a+)b", "aab", true), ("a|", "", true), ("|a", "a", true), ("()", "", true),
        ("a(|b)", "a", true), ("a(|b)", "ab", true), ("(a|ab)(c|bcd)", "abcd", true), ("((a)|b)+", "abba", true),
        // Repetition, greedy and lazy (the same values match either way).
        ("a*", "", true), ("a*", "aaa", true), ("a*", "ab", false), ("a+", "", false), ("a+", "aa", true),
        ("a?", "", true), ("a?", "a", true), ("a?", "aa", false),
        ("a{3}", "aaa", true), ("a{3}", "aa", false), ("a{3}", "aaaa", false),
        ("a{2,}", "aa", true), ("a{2,}", "aaaaaa", true), ("a{2,}", "a", false),
        ("a{2,3}", "aa", true), ("a{2,3}", "aaa", true), ("a{2,3}", "aaaa", false), ("a{2,3}", "a", false),
        ("a{0}", "", true), ("a{0}b", "b", true), ("a{0}b", "ab", false), ("(ab){2}", "abab", true),
        ("a{1000}", String(repeating: "a", count: 1000), true), ("a{1000}", String(repeating: "a", count: 999), false),
        ("a*?", "aa", true), ("a+?b", "aab", true), ("a??", "a", true), ("a{1,2}?", "aa", true), ("a{2,}?", "a", false),
        ("(?U)a+", "aaa", true),
        // A `{` that does not start a count stands for itself, as in RE2.
        ("a{,2}", "a{,2}", true), ("a{", "a{", true), ("a{x}", "a{x}", true), ("a{1", "a{1", true), ("x{2}y", "xxy", true),
        // Nor does a number with a leading zero, as in RE2 (Go's regexp too).
        ("a{01}", "a{01}", true), ("a{01}", "a", false), ("a{1,02}", "a{1,02}", true), ("a{1,02}", "a", false),
        ("a{00}", "a{00}", true), ("a{00}", "", false), ("{01}", "{01}", true), ("a{0,10}", "aaaaaaaaaa", true), ("a{10}", "aaaaaaaaaa", true),
        // Anchors: ^ and $ hold only at the ends of the value (or at line breaks under (?m)).
        ("^abc$", "abc", true), ("^^a$$", "a", true), ("a^b", "ab", false), ("a$b", "ab", false), ("^", "", true),
        ("$^", "", true), ("(^a|b)+", "ab", true), ("(^a|b)+", "ba", false), ("a$|b", "a", true),
        ("a\\n^b", "a\nb", false), ("(?m)a\\n^b", "a\nb", true), ("(?m)a$\\nb", "a\nb", true), ("a$\\nb", "a\nb", false),
        ("(?m)^a$", "a", true), ("\\Aab\\z", "ab", true),
        // An iteration that matches nothing still counts toward the minimum (Swift's Regex stops `{2,}` after one).
        ("(^|-){2}", "-", true), ("(^|-){2,}", "-", true), ("(^|a){2}", "aa", true), ("(^|a){2}", "aaa", false),
        ("(\\b|a){3}", "a", true), ("(?:-|\\b){2}a", "-a", true), ("a\\Ab", "ab", false), ("a\\z\\n", "a\n", false),
        // Word boundaries (ASCII word scalars).
        ("\\bfoo\\b", "foo", true), ("a\\bb", "ab", false), ("a\\Bb", "ab", true), ("a\\b-", "a-", true),
        ("a\\B-", "a-", false), ("\\b", "", false), ("\\B", "", true), ("\\b\u{E9}", "\u{E9}", false),
        // Case-insensitive matching.
        ("(?i)orders", "ORDERS", true), ("(?i)orders", "oRdErS", true), ("orders", "Orders", false),
        ("(?i)[a-c]+", "AbC", true), ("(?i)[A-C]+", "abc", true), ("(?i)[^a]", "A", false), ("(?i)[^a]", "b", true),
        ("(?i)\u{E9}", "\u{C9}", true), ("(?i)[\u{E0}-\u{FF}]", "\u{C9}", true), ("(?i)\\x41", "a", true),
        ("(?i)[[:upper:]]", "q", true), ("(?i)\\d", "1", true), ("(?i)\\W", "k", false), ("(?i)\u{3A3}", "\u{3C3}", true),
        ("a(?i)b", "aB", true), ("a(?i)b", "AB", false), ("(?i:a)b", "Ab", true), ("(?i:a)b", "AB", false),
        ("(?i)a(?-i)b", "Ab", true), ("(?i)a(?-i)b", "AB", false), ("(a(?i)b)c", "aBc", true), ("(a(?i)b)c", "aBC", false),
        ("(?i)a|b", "B", true), ("(?im-s:a.)", "A\n", false), ("(?is)a.", "A\n", true),
        // Nested repetition is ordinary here.
        ("(a+)+b", "aaab", true), ("(a*)*", "", true), ("(a*)+", "aaa", true), ("(a?){3}", "a", true),
        ("(a|b)*abb", "babaabb", true), ("(a|b)*abb", "babaab", false), ("((){1000}){1000}", "", true),
        ("(\\d+\\.){3}\\d+", "10.0.0.1", true), ("(\\d+\\.){3}\\d+", "10.0.0", false),
        ("[a-z]+(_[a-z]+)*", "row_count", true), ("[a-z]+(_[a-z]+)*", "row__count", false),
    ]

    @Test func everyConstructMatchesWhatItShould() throws {
        var failures: [String] = []
        for (pattern, value, expected) in Self.cases {
            let compiled = try LabelPattern(pattern)
            if compiled.matchesWhole(value) != expected {
                failures.append("\(quoteLabelValue(pattern)) on \(quoteLabelValue(value)): expected \(expected)")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    /// The virtual machine agrees with the literal shortcut where both apply (the shortcut compares bytes).
    @Test func literalPatternsMatchByScalarsThroughBothPaths() throws {
        for (pattern, value) in [("orders", "orders"), ("orders", "order"), ("a|bc|", ""), ("a|bc|", "bc"), ("a|bc|", "b"),
                                 ("\u{E9}", "e\u{301}"), ("caf\u{E9}|x", "caf\u{E9}")] {
            let compiled = try LabelPattern(pattern)
            let program = try PatternCompiler.compile(try PatternParser.parse(pattern))
            #expect(compiled.matchesWhole(value) == program.matchesWhole(value), "\(pattern) on \(value)")
        }
        #expect(try LabelPattern("orders|customers").matchesWhole("customers"))
        #expect(try !LabelPattern("\u{E9}").matchesWhole("e\u{301}"))

        // Random alternations of literal text — prefixes of one another, empty, escaped, quoted, under (?i) with and
        // without letters, precomposed and decomposed — on values made of the same pieces.
        var rng = SeededGenerator(seed: 0x11_7E2A)
        let pieces = ["a", "ab", "b", "A", "1", "\\.", "\\|", "\\Q.|\\E", "\u{E9}", "e\u{301}", "\u{301}", "\u{212A}", ""]
        let texts = ["a", "ab", "b", "A", "1", ".", "|", ".|", "\u{E9}", "e\u{301}", "\u{301}", "\u{212A}", "k", "B", ""]
        var disagreements: [String] = []
        for _ in 0..<500 {
            let branches = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                (0..<Int.random(in: 0...3, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            }
            let pattern = (Bool.random(using: &rng) ? "" : "(?i)") + branches.joined(separator: "|")
            let compiled = try LabelPattern(pattern)
            let program = try PatternCompiler.compile(try PatternParser.parse(pattern))
            for _ in 0..<10 {
                let value = (0..<Int.random(in: 0...3, using: &rng)).map { _ in texts.randomElement(using: &rng)! }.joined()
                if compiled.matchesWhole(value) != program.matchesWhole(value) {
                    disagreements.append("\(quoteLabelValue(pattern)) on \(quoteLabelValue(value))")
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
        // (?i) with a letter never takes the byte comparison; without one it may.
        #expect(try LabelPattern("(?i)ab|1").matchesWhole("AB") && LabelPattern("(?i)k").matchesWhole("\u{212A}"))
        #expect(try LabelPattern("a|ab").matchesWhole("ab") && LabelPattern("ab|a").matchesWhole("a"))
    }

    // MARK: - Case folding

    /// (pattern, value, whether it matches) for `(?i)` on letters whose case mappings are not simple pairs.
    static let foldingCases: [(String, String, Bool)] = [
        // k, K and the Kelvin sign are one orbit, whichever is written and whether in a class or not.
        ("(?i)k", "\u{212A}", true), ("(?i)K", "\u{212A}", true), ("(?i)[k]", "\u{212A}", true), ("(?i)[^k]", "\u{212A}", false),
        ("(?i)\\x{212A}", "k", true), ("(?i)\\x{212A}", "K", true), ("(?i)[\\x{212A}]", "k", true), ("(?i)[\\x{212A}]", "K", true),
        ("(?i)[^\\x{212A}]", "k", false), ("(?i)[a-z]", "\u{212A}", true), ("(?i)[^a-z]", "\u{212A}", false), ("k", "\u{212A}", false),
        // s, S and the long s.
        ("(?i)s", "\u{17F}", true), ("(?i)\u{17F}", "S", true), ("(?i)[\u{17F}]", "s", true),
        // Greek sigma, medial and final; micro sign and mu; sharp s and capital sharp s; a titlecase digraph.
        ("(?i)\u{3C3}", "\u{3C2}", true), ("(?i)\u{3C2}", "\u{3C3}", true), ("(?i)\u{3A3}", "\u{3C2}", true),
        ("(?i)[\u{3C3}]", "\u{3C2}", true), ("(?i)\u{B5}", "\u{39C}", true), ("(?i)\u{3BC}", "\u{B5}", true),
        ("(?i)\u{DF}", "\u{1E9E}", true), ("(?i)\u{1E9E}", "\u{DF}", true), ("(?i)\u{DF}", "ss", false),
        ("(?i)\u{1C6}", "\u{1C5}", true), ("(?i)\u{1C4}", "\u{1C5}", true), ("(?i)[\u{1C5}]", "\u{1C4}", true),
        // Dotless ı and dotted İ fold to themselves only (their folding to i is Turkic-only), as in RE2.
        ("(?i)\u{131}", "I", false), ("(?i)I", "\u{131}", false), ("(?i)[I]", "\u{131}", false), ("(?i)[\u{131}]", "i", false),
        ("(?i)\u{131}", "\u{131}", true), ("(?i)i", "\u{130}", false), ("(?i)\u{130}", "i", false), ("(?i)[^i]", "\u{131}", true),
        // Beyond the BMP: Deseret, Adlam.
        ("(?i)\u{10400}", "\u{10428}", true), ("(?i)[\u{1E922}]", "\u{1E900}", true),
        // A negated class escape or POSIX class is folded before it is negated, as in RE2: under (?i) it matches no
        // letter of any case its complement has, whether written [[:^upper:]] or [^[:upper:]].
        ("(?i)[[:^upper:]]", "a", false), ("(?i)[[:^upper:]]", "A", false), ("(?i)[[:^upper:]]", "1", true),
        ("(?i)[^[:upper:]]", "a", false), ("(?i)[[:^lower:]]", "a", false), ("(?i)[[:^alpha:]\u{E9}]", "\u{C9}", true),
        ("(?i)[[:^alpha:]\u{E9}]", "b", false), ("[[:^upper:]]", "a", true), ("[[:^upper:]]", "A", false),
        ("(?i)\\W", "\u{212A}", false), ("(?i)\\W", "\u{17F}", false), ("(?i)[\\W]", "\u{212A}", false),
        ("(?i)[^\\w]", "\u{212A}", false), ("(?i)\\w", "\u{212A}", true), ("(?i)[\\w]", "\u{17F}", true),
        ("\\w", "\u{212A}", false), ("\\W", "\u{212A}", true), ("(?i)\\W", "-", true), ("(?i)[\\W\\d]", "K", false),
    ]

    @Test func caseInsensitiveMatchingUsesCaseFoldingOrbits() throws {
        var failures: [String] = []
        for (pattern, value, expected) in Self.foldingCases where try LabelPattern(pattern).matchesWhole(value) != expected {
            failures.append("\(quoteLabelValue(pattern)) on \(quoteLabelValue(value)): expected \(expected)")
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    /// Matching under `(?i)` is an equivalence: within an orbit each scalar lists all the others, a scalar matches
    /// `(?i)x` exactly when it does not match `(?i)[^x]`, and a literal agrees with a class of one.
    @Test func caseFoldingOrbitsAreSymmetricAndComplete() throws {
        #expect(CaseFolding.otherCases(of: 0x6B) == [0x4B, 0x212A])
        #expect(CaseFolding.otherCases(of: 0x3C3) == [0x3A3, 0x3C2])
        #expect(CaseFolding.otherCases(of: 0x131).isEmpty && CaseFolding.otherCases(of: 0x30).isEmpty)
        // Entries of CaseFolding.txt (Unicode 15.1), written out here as an independent oracle: each line's code
        // and its simple folding are in one orbit, including the three pairs no case mapping joins.
        let foldings: [(UInt32, UInt32)] = [(0x41, 0x61), (0xB5, 0x3BC), (0x1E9E, 0xDF), (0x212A, 0x6B), (0x17F, 0x73),
                                            (0x3C2, 0x3C3), (0x1C5, 0x1C6), (0x1FD3, 0x390), (0x1FE3, 0x3B0),
                                            (0xFB05, 0xFB06), (0x10400, 0x10428), (0x1E900, 0x1E922)]
        for (code, folded) in foldings {
            #expect(CaseFolding.otherCases(of: code).contains(folded) && CaseFolding.otherCases(of: folded).contains(code),
                    "\(String(code, radix: 16)) folds to \(String(folded, radix: 16))")
            #expect(try LabelPattern("(?i)" + String(Unicode.Scalar(code)!)).matchesWhole(String(Unicode.Scalar(folded)!)))
        }
        var asymmetric: [String] = []
        for scalar in CaseFolding.foldingScalars {
            let orbit = [scalar] + CaseFolding.otherCases(of: scalar)
            for other in CaseFolding.otherCases(of: scalar) where ([other] + CaseFolding.otherCases(of: other)).sorted() != orbit.sorted() {
                asymmetric.append("U+\(String(scalar, radix: 16)) and U+\(String(other, radix: 16))")
            }
        }
        #expect(asymmetric.isEmpty, "\(asymmetric.prefix(10))")
        #expect(CaseFolding.foldingScalars.count > 2500)

        // A sample of letters from many scripts, each against its orbit and its neighbors.
        var mismatches: [String] = []
        for scalar in CaseFolding.foldingScalars where scalar % 7 == 0 {
            let written = "\\x{\(String(scalar, radix: 16))}"
            let literal = try LabelPattern("(?i)" + written)
            let single = try LabelPattern("(?i)[" + written + "]")
            let others = try LabelPattern("(?i)[^" + written + "]")
            for value in [scalar, scalar + 1, scalar &- 1] + CaseFolding.otherCases(of: scalar) {
                guard let valueScalar = Unicode.Scalar(value) else { continue }
                let text = String(Character(valueScalar))
                let expected = value == scalar || CaseFolding.otherCases(of: scalar).contains(value)
                if literal.matchesWhole(text) != expected || single.matchesWhole(text) != expected
                    || others.matchesWhole(text) == expected {
                    mismatches.append("U+\(String(scalar, radix: 16)) on U+\(String(value, radix: 16))")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    /// A class under `(?i)`, folded when the pattern is compiled, matches a scalar exactly when the scalar or one of
    /// its other cases is in the class as written (what matching looked up scalar by scalar before), and its
    /// negation matches the rest. Random classes of one to three ranges around letters of many scripts, on the
    /// scalars at and next to the ranges' ends, every cased scalar near or in them, and those scalars' other cases.
    @Test func foldedClassesMatchEveryCaseOfTheirMembers() throws {
        var rng = SeededGenerator(seed: 0xF01D_C1A5)
        let folding = CaseFolding.foldingScalars
        var mismatches: [String] = []
        for _ in 0..<60 {
            var written = ScalarSet()
            var text = ""
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let lower = Bool.random(using: &rng) ? UInt32.random(in: 0x41...0x7A, using: &rng)
                                                     : folding.randomElement(using: &rng)!
                let upper = min(lower + UInt32.random(in: 0...200, using: &rng), ScalarSet.maxCodePoint)
                guard Unicode.Scalar(lower) != nil, Unicode.Scalar(upper) != nil else { continue }
                written.insert(lower...upper)
                text += "\\x{\(String(lower, radix: 16))}-\\x{\(String(upper, radix: 16))}"
            }
            guard !text.isEmpty else { continue }
            let positive = try LabelPattern("(?i)[" + text + "]")
            let negative = try LabelPattern("(?i)[^" + text + "]")
            var values: Set<UInt32> = [0x41, 0x61, 0x212A, 0x17F, 0x1E9E, 0xDF, 0x131, 0x130]
            for range in written.ranges {
                let near = range.lowerBound - min(range.lowerBound, 8)...range.upperBound + 8
                values.formUnion([range.lowerBound &- 1, range.lowerBound, range.upperBound, range.upperBound + 1])
                for scalar in folding where near.contains(scalar) {
                    values.insert(scalar)
                    values.formUnion(CaseFolding.otherCases(of: scalar))
                }
            }
            for value in values.sorted() {
                guard let scalar = Unicode.Scalar(value) else { continue }
                let expected = written.contains(value) || CaseFolding.otherCases(of: value).contains { written.contains($0) }
                let valueText = String(Character(scalar))
                if positive.matchesWhole(valueText) != expected || negative.matchesWhole(valueText) == expected {
                    mismatches.append("[\(text)] on U+\(String(value, radix: 16)): expected \(expected)")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    /// The orbits are built from the scalars below ``CaseFolding/mappedScalarsEnd``: no scalar above has a case.
    @Test func noScalarAboveTheFoldingTableHasACase() {
        var cased: [UInt32] = []
        for value in CaseFolding.mappedScalarsEnd...0x10FFFF {
            if let scalar = Unicode.Scalar(value), scalar.properties.changesWhenCaseMapped { cased.append(value) }
        }
        #expect(cased.isEmpty, "\(cased.prefix(10).map { String($0, radix: 16) })")
    }

    // MARK: - Random values (agreement with Swift's Regex is in LabelPatternFuzzTests)

    static func randomString(from alphabet: String, length: Int, using rng: inout SeededGenerator) -> String {
        let scalars = Array(alphabet.unicodeScalars)
        var s = ""
        for _ in 0..<length { s.unicodeScalars.append(scalars[Int.random(in: 0..<scalars.count, using: &rng)]) }
        return s
    }

    static func randomValue(using rng: inout SeededGenerator) -> String {
        randomString(from: "aabbcA1.-", length: Int.random(in: 0...8, using: &rng), using: &rng)
    }

    // MARK: - Linear time

    /// Patterns that take a backtracking engine exponential time: on values of up to 5,000 scalars these finish
    /// (they would not, on such an engine) with the right answers. No clock is read: timings belong in benchmarks.
    @Test func nestedRepetitionTakesLinearTime() throws {
        for length in [30, 100, 1000, 5000] {
            let a = String(repeating: "a", count: length)
            for pattern in ["(a+)+b", "(.*)*b", "(a|a)*b", "(a|aa)+b", "(a*)*b", "(?:a+){2,}b", "(a+)+[^a]"] {
                let compiled = try LabelPattern(pattern)
                #expect(!compiled.matchesWhole(a), "\(pattern) on \(length) a's")
                #expect(compiled.matchesWhole(a + "b"), "\(pattern) on \(length) a's and a b")
            }
            #expect(try LabelPattern("(a*)*$").matchesWhole(a))
            #expect(try !LabelPattern("(a*)*$").matchesWhole(a + "b"))
            #expect(try !LabelPattern("(x+x+)+y").matchesWhole(String(repeating: "x", count: length)))
            #expect(try LabelPattern("(.*a){20}").matchesWhole(a))
        }
    }

    // MARK: - Errors

    /// (pattern, the error's message, its column).
    static let errors: [(String, String, Int?)] = [
        ("a(b", "missing \")\" for \"(\" at column 2", 2),
        ("((a)", "missing \")\" for \"(\" at column 1", 1),
        ("(?:a", "missing \")\" for \"(\" at column 1", 1),
        ("a)b", "unexpected \")\" at column 2 with no \"(\" to close", 2),
        ("[ab", "missing \"]\" for \"[\" at column 1", 1),
        ("x[]", "missing \"]\" for \"[\" at column 2", 2),
        ("*a", "missing argument to repetition operator \"*\" at column 1: there is nothing before it to repeat", 1),
        ("a|+b", "missing argument to repetition operator \"+\" at column 3: there is nothing before it to repeat", 3),
        ("a(?i)*", "missing argument to repetition operator \"*\" at column 6: there is nothing before it to repeat", 6),
        ("a\\Q\\E+", "missing argument to repetition operator \"+\" at column 6: there is nothing before it to repeat", 6),
        ("(?i)?", "missing argument to repetition operator \"?\" at column 5: there is nothing before it to repeat", 5),
        ("{2}", "missing argument to repetition operator \"{2}\" at column 1: there is nothing before it to repeat", 1),
        ("a**", "nested repetition \"**\" at column 2: put the first part in a group to repeat a repetition, as in \"(a*)*\"", 2),
        ("a{2}{3}", "nested repetition \"{2}{3}\" at column 2: put the first part in a group to repeat a repetition, as in \"(a*)*\"", 2),
        ("a*??", "nested repetition \"*??\" at column 2: put the first part in a group to repeat a repetition, as in \"(a*)*\"", 2),
        ("a*+", "possessive repetition \"*+\" at column 2 is not supported", 2),
        ("a{2}+", "possessive repetition \"{2}+\" at column 2 is not supported", 2),
        ("(a)\\1", "backreference \"\\1\" at column 4 is not supported: backreferences cannot be matched in linear time", 4),
        ("(?<n>a)\\k<n>", "backreference \"\\k\" at column 8 is not supported: backreferences cannot be matched in linear time", 8),
        ("(?P<n>a)(?P=n)", "named backreference \"(?P=\" at column 9 is not supported: backreferences cannot be matched in linear time", 9),
        ("(?=a)a", "lookahead \"(?=\" at column 1 is not supported: lookaround cannot be matched in linear time", 1),
        ("a(?!b)", "negative lookahead \"(?!\" at column 2 is not supported: lookaround cannot be matched in linear time", 2),
        ("(?<=a)b", "lookbehind \"(?<=\" at column 1 is not supported: lookaround cannot be matched in linear time", 1),
        ("(?<!a)b", "negative lookbehind \"(?<!\" at column 1 is not supported: lookaround cannot be matched in linear time", 1),
        ("(?>a+)b", "atomic group \"(?>\" at column 1 is not supported", 1),
        ("(?#note)a", "unsupported group syntax \"(?#\" at column 1", 1),
        ("(?x)a", "unknown flag \"x\" at column 3: the flags are i, m, s and U", 3),
        ("(?i-sq)a", "unknown flag \"q\" at column 6: the flags are i, m, s and U", 6),
        ("(?)a", "missing a flag in \"(?)\" at column 1", 1),
        ("(?i-)a", "missing a flag after \"-\" in \"(?i-)\" at column 1", 1),
        ("(?i-m-s)a", "second \"-\" in the flags at column 6", 6),
        ("(?", "missing \")\" for \"(\" at column 1", 1),
        ("(?i", "missing \")\" for \"(\" at column 1", 1),
        ("(?<>a)", "invalid group name at column 4 in the group at column 1: a name is letters, digits and \"_\", closed by \">\"", 4),
        ("(?P<x>a)|(?<x>b)", "duplicate group name \"x\" at column 13", 13),
        ("a(?P<name", "missing \")\" for \"(\" at column 2", 2),
        ("(?P<a-b>x)", "invalid group name at column 5 in the group at column 1: a name is letters, digits and \"_\", closed by \">\"", 5),
        ("\\q", "unknown escape \"\\q\" at column 1", 1),
        ("ab\\Z", "unknown escape \"\\Z\" at column 3", 3),
        ("a\\E", "unknown escape \"\\E\" at column 2", 2),
        ("\\\u{E9}", "unknown escape \"\\\u{E9}\" at column 1", 1),
        ("ab\\", "trailing \"\\\" at column 3: escape a backslash as \"\\\\\"", 3),
        ("[a\\", "trailing \"\\\" at column 3: escape a backslash as \"\\\\\"", 3),
        ("\\pL", "Unicode class \"\\p\" at column 1 is not supported", 1),
        ("x\\P{Greek}", "Unicode class \"\\P\" at column 2 is not supported", 2),
        ("\\0", "octal escape \"\\0\" at column 1 is not supported: write \"\\x00\"", 1),
        ("\\x4", "invalid hexadecimal escape at column 1: write \"\\xHH\" or \"\\x{H…}\" with at most 10FFFF", 1),
        ("\\x{110000}", "invalid hexadecimal escape at column 1: write \"\\xHH\" or \"\\x{H…}\" with at most 10FFFF", 1),
        ("\\x{FFFFFFFFFFFFFFFF1}", "invalid hexadecimal escape at column 1: write \"\\xHH\" or \"\\x{H…}\" with at most 10FFFF", 1),
        ("\\x{D800}", "invalid hexadecimal escape at column 1: write \"\\xHH\" or \"\\x{H…}\" with at most 10FFFF", 1),
        ("\\x{}", "invalid hexadecimal escape at column 1: write \"\\xHH\" or \"\\x{H…}\" with at most 10FFFF", 1),
        ("[z-a]", "invalid character class range \"z-a\" at column 2", 2),
        ("[a-\\d]", "invalid character class range \"a-\\d\" at column 2", 2),
        ("[[:foo:]]", "unknown POSIX class \"[:foo:]\" at column 2", 2),
        ("[\\b]", "escape \"\\b\" at column 2 is not allowed in a character class", 2),
        ("[\\1]", "backreference \"\\1\" at column 2 is not supported: backreferences cannot be matched in linear time", 2),
        // Columns count Unicode scalars.
        ("日本(", "missing \")\" for \"(\" at column 3", 3),
        ("e\u{301}\\q", "unknown escape \"\\q\" at column 3", 3),
        // Limits.
        ("a{1001}", "repeat count \"{1001}\" at column 2 is over the limit of 1000", 2),
        ("a{2,1001}", "repeat count \"{2,1001}\" at column 2 is over the limit of 1000", 2),
        ("a{99999999999999999999}", "repeat count \"{99999999999999999999}\" at column 2 is over the limit of 1000", 2),
        ("a{5,2}", "repeat count \"{5,2}\" at column 2 has its maximum below its minimum", 2),
        ("(?:a{1000}){10}", "the pattern is too large: it compiles to more than 10000 instructions (counted repetitions multiply what they repeat)", nil),
        ("((a{1000}){1000}){1000}", "the pattern is too large: it compiles to more than 10000 instructions (counted repetitions multiply what they repeat)", nil),
    ]

    @Test func malformedAndUnsupportedPatternsSayWhatAndWhere() {
        for (pattern, message, column) in Self.errors {
            #expect(throws: LabelPatternError(message, column: column), "\(pattern)") { try LabelPattern(pattern) }
        }
    }

    /// Random strings of regex tokens never trap the parser, compiler or matcher: each either compiles and matches
    /// (a value equal to its own text, and random values) or is refused with a column inside the pattern.
    @Test func randomTokenSoupIsCompiledOrRefusedWithAColumn() {
        var rng = SeededGenerator(seed: 0x70CE_5000)
        let tokens = ["a", "b", "é", ".", "\\", "\\d", "\\x{", "\\Q", "\\E", "\\b", "(", ")", "(?", "(?:", "(?i", "(?P<", "<", ">",
                      "=", "!", ":", "-", "|", "[", "]", "[^", "[:", ":]", "^", "$", "*", "+", "?", "{", "}", ",", "1", "0", "9"]
        var compiled = 0
        for _ in 0..<5000 {
            let pattern = (0..<Int.random(in: 0...12, using: &rng)).map { _ in tokens.randomElement(using: &rng)! }.joined()
            do throws(LabelPatternError) {
                let compiledPattern = try LabelPattern(pattern)
                compiled += 1
                _ = compiledPattern.matchesWhole(pattern)
                _ = compiledPattern.matchesWhole(Self.randomValue(using: &rng))
            } catch {
                let scalars = pattern.unicodeScalars.count
                #expect(error.column.map { (1...scalars).contains($0) } ?? false, "\(pattern): \(error)")
                #expect(error.message.contains("at column \(error.column ?? 0)"), "\(pattern): \(error)")
            }
        }
        #expect(compiled > 500, "\(compiled) of 5000 compiled")
    }

    @Test func programSizeAndNestingLimitsAreExact() throws {
        // 9,999 consuming instructions and the final match: exactly the limit.
        let largest = try LabelPattern("(?:a{1000}){9}a{999}")
        #expect(largest.matchesWhole(String(repeating: "a", count: 9999)))
        #expect(!largest.matchesWhole(String(repeating: "a", count: 10_000)))
        #expect(throws: LabelPatternError.self) { try LabelPattern("(?:a{1000}){9}a{1000}") }

        let deepest = String(repeating: "(", count: LabelPattern.maxGroupDepth) + "a"
            + String(repeating: ")", count: LabelPattern.maxGroupDepth)
        #expect(try LabelPattern(deepest).matchesWhole("a"))
        #expect(throws: LabelPatternError("groups nested more than 100 deep at column 101", column: 101)) {
            try LabelPattern("(" + deepest + ")")
        }
        // Flag groups and non-capturing groups count too; a long flat pattern is fine.
        #expect(throws: LabelPatternError.self) { try LabelPattern(String(repeating: "(?i:", count: 101) + String(repeating: ")", count: 101)) }
        #expect(try LabelPattern(String(repeating: "(a)", count: 3000)).matchesWhole(String(repeating: "a", count: 3000)))
    }

    /// Programs at the size limit made mostly of splits, jumps and assertions, empty loops included, match right; in
    /// a debug build the matcher asserts that its closure stack (2 × size + 1 entries) is never overrun.
    @Test func programsDenseInSplitsAndEmptyLoopsMatch() throws {
        // (pattern, the longest run of a's it matches; it matches every shorter run too).
        let patterns: [(String, Int)] = [
            ("(?:(?:a?){1000}){4}(?:a?){999}", 4999), ("(?:(?:|a){1000}){3}", 3000), ("(?:(?:a|){1000}){3}", 3000),
            ("(?:(?:(|)*){1000}){2}", 0), ("(?:(?:a*)*){1000}", Int.max), ("(?:(?:(?:)*|(?:|)+){700}){2}", 0),
            ("(?:^|$|\\b|\\B){900}", 0), ("(?:(?:(?:a?){1,}){800}){2}", Int.max), ("(?:(?:a?)*?(?:a??)+){900}", Int.max),
            ("(?:a{0,9}){10}(?:(|)*){900}", 90), ("(?:(?:|){1000}){4}(?:a|){99}", 99),
        ]
        for (pattern, longest) in patterns {
            let compiled = try LabelPattern(pattern)
            for length in [0, 1, 2, 50, 90, 91] {
                let value = String(repeating: "a", count: length)
                #expect(compiled.matchesWhole(value) == (length <= longest), "\(pattern) on \(length) a's")
            }
            #expect(!compiled.matchesWhole("b") && !compiled.matchesWhole("ab"), "\(pattern)")
        }
        #expect(throws: LabelPatternError.self) { try LabelPattern("(?:(?:(|)*){1000}){3}") }
    }

    @Test func labelMatchersReportTheLabelAndThePattern() throws {
        #expect(throws: InputError(field: "dataset", message: "invalid regular expression \"a(b\": missing \")\" for \"(\" at column 2")) {
            try LabelMatcher(name: "dataset", op: .matchesRegex, value: "a(b")
        }
        #expect(throws: InputError(field: "x", message: "invalid regular expression \"(a+)\\\\1\": backreference \"\\1\" at column 5 is not supported: backreferences cannot be matched in linear time")) {
            try LabelMatcher(name: "x", op: .notMatchesRegex, value: "(a+)\\1")
        }
        // Equality matchers take any value.
        #expect(try LabelMatcher(name: "x", op: .equal, value: "a(b").matches("a(b"))
    }

    @Test func labelMatchersUseTheLinearEngine() throws {
        let matcher = try LabelMatcher(name: "dataset", op: .matchesRegex, value: "(a+)+b")
        let forty = String(repeating: "a", count: 40)
        #expect(!matcher.matches(forty))
        #expect(matcher.matches(forty + "b"))
        let negated = try LabelMatcher(name: "dataset", op: .notMatchesRegex, value: "(a+)+b")
        #expect(negated.matches(forty))
        #expect(negated.matches(nil))
        #expect(SeriesSelector(matchers: [matcher]).matches(SeriesKey(metric: "m", labels: [Label("dataset", forty + "b")])))
    }
}
