import TallyTestSupport
import TallyAnalysis

/// A regular expression drawn by ``PatternFuzzer``: a tree that knows its text and can draw values the pattern is
/// likely to match.
indirect enum FuzzPattern {
    /// One scalar: a literal, `.`, a class or a class escape, written `text`; `choices` are the scalars of the
    /// fuzzer's alphabet it matches (ignoring case folding), to draw values from.
    case scalar(text: String, choices: [Unicode.Scalar])
    /// An anchor, a word boundary or a flag group: matches no scalar.
    case zeroWidth(text: String)
    /// `\Q…\E`: the scalars of `quoted`, literally.
    case quoted(String)
    /// `open`, the body, `)`.
    case group(open: String, FuzzPattern)
    case concatenation([FuzzPattern])
    /// Branches separated by `|`; a branch may be empty.
    case alternation([FuzzPattern])
    /// The body followed by `operator` (`*`, `{1,3}?`, …), which repeats it `min` to `max` (nil: any) times.
    case repetition(FuzzPattern, min: Int, max: Int?, operator: String)

    /// The pattern as written.
    var text: String {
        switch self {
        case .scalar(let text, _), .zeroWidth(let text): text
        case .quoted(let quoted): "\\Q" + quoted + "\\E"
        case .group(let open, let body): open + body.text + ")"
        case .concatenation(let parts): parts.map(\.text).joined()
        case .alternation(let branches): branches.map(\.text).joined(separator: "|")
        case .repetition(let body, _, _, let op): body.text + op
        }
    }

    /// The pattern for Swift's `Regex`: the same language, with `x{n,}` for n ≥ 2 written out as n copies of `x`
    /// and `x*`, and group names left out (copies would repeat them). Swift stops an unbounded repetition after an
    /// iteration that matched nothing, even below its minimum, which RE2 does not: `(^|-){2,}` matches `-` in RE2
    /// (an empty iteration at the start, then `-`) but not in Swift, while `(^|-){2}`, `(^|-){2,3}` and `(^|-)+`
    /// match it in both. Written out, the count is no longer an iteration, and the two agree.
    var expandedText: String {
        switch self {
        case .scalar, .zeroWidth, .quoted: return text
        case .group(let open, let body):
            return (open.hasPrefix("(?<") || open.hasPrefix("(?P<") ? "(" : open) + body.expandedText + ")"
        case .concatenation(let parts): return parts.map(\.expandedText).joined()
        case .alternation(let branches): return branches.map(\.expandedText).joined(separator: "|")
        case .repetition(let body, let min, let max, let op):
            guard max == nil && min >= 2 else { return body.expandedText + op }
            return String(repeating: body.expandedText, count: min) + body.expandedText + "*"
        }
    }

    /// Appends to `value` scalars this pattern would consume on one path through it (ignoring anchors and
    /// boundaries, so the value may still not match); with `swapCase`, letters sometimes in their other case.
    func draw(into value: inout String, swapCase: Bool, using rng: inout SeededGenerator) {
        switch self {
        case .scalar(_, let choices):
            let scalar = choices.randomElement(using: &rng) ?? PatternFuzzer.alphabet.randomElement(using: &rng)!
            let other = PatternFuzzer.otherCase[scalar]
            value.unicodeScalars.append(swapCase && other != nil && Bool.random(using: &rng) ? other! : scalar)
        case .zeroWidth:
            break
        case .quoted(let quoted):
            value += quoted
        case .group(_, let body):
            body.draw(into: &value, swapCase: swapCase, using: &rng)
        case .concatenation(let parts):
            for part in parts { part.draw(into: &value, swapCase: swapCase, using: &rng) }
        case .alternation(let branches):
            branches.randomElement(using: &rng)!.draw(into: &value, swapCase: swapCase, using: &rng)
        case .repetition(let body, let min, let max, _):
            let extra = Swift.min(2, (max ?? min + 2) - min)
            for _ in 0..<(min + Int.random(in: 0...extra, using: &rng)) {
                body.draw(into: &value, swapCase: swapCase, using: &rng)
            }
        }
    }
}

/// Draws random patterns over a grammar richer than label values need — literals of a small alphabet (with a
/// non-ASCII letter in both cases, a space and `\n`), `.`, classes (negated, ranges, class escapes), `\d \w \s` and
/// their complements, `^ $ \A \z \b \B` anywhere, capturing, non-capturing, named and flag-scoped groups, flag
/// groups mid-pattern, alternation with empty branches, and every repetition form greedy and lazy — and values over
/// the same alphabet. Deterministic for a seed.
///
/// The grammar is the part of RE2's syntax that Swift's `Regex` reads with the same meaning when it is set to match
/// on Unicode scalars with ASCII classes and simple word boundaries; what it leaves out, and why, is listed in
/// `LabelPatternFuzzTests`.
struct PatternFuzzer {
    /// The scalars of values and literals.
    static let alphabet: [Unicode.Scalar] = ["a", "b", "A", "1", "_", "-", ".", " ", "\n", "\u{E9}", "\u{C9}"]
    /// The letters of the alphabet whose other case is in it too.
    static let otherCase: [Unicode.Scalar: Unicode.Scalar] = ["a": "A", "A": "a", "\u{E9}": "\u{C9}", "\u{C9}": "\u{E9}"]

    var rng: SeededGenerator
    /// Group names must differ within a pattern.
    private var groupNames = 0

    init(seed: UInt64) {
        rng = SeededGenerator(seed: seed)
    }

    private mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    private mutating func chance(_ oneIn: Int) -> Bool { int(1...oneIn) == 1 }

    private mutating func pick<T>(_ elements: [T]) -> T { elements.randomElement(using: &rng)! }

    /// A pattern of at most `maxLength` scalars whose groups nest at most `depth` deep.
    mutating func pattern(maxLength: Int = 36, depth: Int = 3) -> FuzzPattern {
        while true {
            groupNames = 0
            var parts: [FuzzPattern] = []
            if chance(3) { parts.append(.zeroWidth(text: pick(["(?i)", "(?i)", "(?s)", "(?m)", "(?is)", "(?U)", "(?im)"]))) }
            parts.append(alternation(depth: depth, loops: 0))
            let candidate = parts.count == 1 ? parts[0] : .concatenation(parts)
            if candidate.text.unicodeScalars.count <= maxLength { return candidate }
        }
    }

    /// Values to try a pattern on, of at most ``maxValueLength`` scalars: drawn from it, drawn and then altered by one
    /// scalar, and random.
    mutating func values(for pattern: FuzzPattern, count: Int) -> [String] {
        var values: [String] = []
        for i in 0..<count {
            switch i % 5 {
            case 0, 1: values.append(drawn(from: pattern))
            case 2: values.append(mutated(drawn(from: pattern)))
            default: values.append(randomValue(length: int(0...Self.maxValueLength)))
            }
        }
        return values
    }

    /// The longest value tried: Swift's backtracking takes time exponential in it on some patterns.
    static let maxValueLength = 12

    /// A value drawn from the pattern, drawn again when too long, and cut short as a last resort.
    private mutating func drawn(from pattern: FuzzPattern) -> String {
        let swapCase = pattern.text.contains("(?i")
        var value = ""
        for _ in 0..<3 {
            value = ""
            pattern.draw(into: &value, swapCase: swapCase, using: &rng)
            if value.unicodeScalars.count <= Self.maxValueLength { return value }
        }
        var short = ""
        short.unicodeScalars.append(contentsOf: value.unicodeScalars.prefix(Self.maxValueLength))
        return short
    }

    mutating func randomValue(length: Int) -> String {
        var value = ""
        for _ in 0..<length { value.unicodeScalars.append(pick(Self.alphabet)) }
        return value
    }

    /// `value` with one scalar inserted, removed or replaced.
    private mutating func mutated(_ value: String) -> String {
        var scalars = Array(value.unicodeScalars)
        switch scalars.isEmpty ? 0 : scalars.count == Self.maxValueLength ? int(1...2) : int(0...2) {
        case 0: scalars.insert(pick(Self.alphabet), at: int(0...scalars.count))
        case 1: scalars.remove(at: int(0...scalars.count - 1))
        default: scalars[int(0...scalars.count - 1)] = pick(Self.alphabet)
        }
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars)
        return result
    }

    // MARK: - Grammar

    /// The deepest unbounded repetitions nest (`(a*)*` but not `((a*)*)*`): Swift's backtracking takes time
    /// exponential in the nesting on values that almost match.
    static let maxNestedLoops = 2

    /// `loops` is the number of unbounded repetitions around the pattern being drawn.
    private mutating func alternation(depth: Int, loops: Int) -> FuzzPattern {
        let count = chance(3) ? int(2...3) : 1
        let branches = (0..<count).map { _ in
            chance(6) ? FuzzPattern.concatenation([]) : concatenation(depth: depth, loops: loops)
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func concatenation(depth: Int, loops: Int) -> FuzzPattern {
        let parts = (0..<int(1...4)).map { _ in piece(depth: depth, loops: loops) }
        return parts.count == 1 ? parts[0] : .concatenation(parts)
    }

    /// An atom with an optional repetition; zero-width atoms and `\Q…\E` are never repeated (Swift refuses `^*`
    /// and `\Qab\E+`).
    private mutating func piece(depth: Int, loops: Int) -> FuzzPattern {
        if chance(8) {
            return .zeroWidth(text: pick(["^", "$", "\\b", "\\B", "\\A", "\\z", "(?i)", "(?-i)", "(?s)", "(?m)", "(?U)"]))
        }
        if chance(40) { return .quoted(pick(["a.", "-(", "A|b", "\u{E9}*", "[1]", "$^"])) }
        var repetition: (operator: String, min: Int, max: Int?)?
        if chance(3) {
            repeat {
                repetition = pick([
                    ("*", 0, nil), ("+", 1, nil), ("?", 0, 1), ("{0}", 0, 0), ("{1}", 1, 1), ("{2}", 2, 2), ("{3}", 3, 3),
                    ("{0,}", 0, nil), ("{1,}", 1, nil), ("{2,}", 2, nil), ("{0,1}", 0, 1), ("{0,2}", 0, 2),
                    ("{1,2}", 1, 2), ("{1,3}", 1, 3), ("{2,3}", 2, 3),
                ])
            } while repetition?.max == nil && loops >= Self.maxNestedLoops
        }
        let innerLoops = repetition.map { $0.max == nil ? loops + 1 : loops } ?? loops
        let atom: FuzzPattern
        if depth > 0 && chance(4) {
            let open: String
            switch int(0...7) {
            case 0, 1: open = "("
            case 2, 3: open = "(?:"
            case 4: open = pick(["(?i:", "(?-i:", "(?s:", "(?m:", "(?i-s:"])
            case 5: open = "(?<g\(groupNames)>"; groupNames += 1
            case 6: open = "(?P<g\(groupNames)>"; groupNames += 1
            default: open = "(?:"
            }
            atom = .group(open: open, alternation(depth: depth - 1, loops: innerLoops))
        } else {
            atom = chance(4) ? characterClass() : scalarAtom()
        }
        guard let (op, min, max) = repetition else { return atom }
        return .repetition(atom, min: min, max: max, operator: op + (chance(4) ? "?" : ""))
    }

    /// A literal, `.`, or a class escape outside brackets.
    private mutating func scalarAtom() -> FuzzPattern {
        let literals: [(String, Unicode.Scalar)] = [
            ("a", "a"), ("a", "a"), ("b", "b"), ("A", "A"), ("1", "1"), ("_", "_"), ("-", "-"), (" ", " "),
            ("\u{E9}", "\u{E9}"), ("\u{C9}", "\u{C9}"), ("\\n", "\n"), ("\\.", "."), ("\\-", "-"), ("\\x41", "A"),
            ("\\x{E9}", "\u{E9}"), ("\\x{61}", "a"),
        ]
        switch int(0...9) {
        case 0: return .scalar(text: ".", choices: Self.alphabet.filter { $0 != "\n" })
        case 1:
            let escape = pick(["d", "D", "w", "W", "s", "S"])
            return .scalar(text: "\\" + escape, choices: Self.classEscapeMembers(escape))
        default:
            let (text, scalar) = pick(literals)
            return .scalar(text: text, choices: [scalar])
        }
    }

    /// `[…]` or `[^…]` of one to three items: scalars, ranges and class escapes, with a literal `-` last.
    private mutating func characterClass() -> FuzzPattern {
        let items: [(String, [Unicode.Scalar])] = [
            ("a", ["a"]), ("b", ["b"]), ("A", ["A"]), ("1", ["1"]), ("_", ["_"]), (".", ["."]), (" ", [" "]),
            ("\\n", ["\n"]), ("\u{E9}", ["\u{E9}"]), ("\\-", ["-"]), ("\\]", []), ("\\^", []),
            ("a-b", ["a", "b"]), ("a-z", ["a", "b"]), ("A-Z", ["A"]), ("0-9", ["1"]), ("Z-a", ["_", "a"]),
            ("\\x{E0}-\\x{FF}", ["\u{E9}"]), ("\u{C0}-\u{DE}", ["\u{C9}"]), ("\\d", ["1"]), ("\\w", ["a", "b", "A", "1", "_"]),
            ("\\s", [" ", "\n"]), ("\\D", Self.classEscapeMembers("D")), ("\\W", Self.classEscapeMembers("W")),
            ("\\S", Self.classEscapeMembers("S")),
        ]
        let negated = chance(3)
        var text = negated ? "[^" : "["
        var members: Set<Unicode.Scalar> = []
        for _ in 0..<int(1...3) {
            let (item, scalars) = pick(items)
            text += item
            members.formUnion(scalars)
        }
        if chance(6) {
            text += "-"
            members.insert("-")
        }
        text += "]"
        let choices = Self.alphabet.filter { members.contains($0) != negated }
        return .scalar(text: text, choices: choices)
    }

    /// The scalars of the alphabet in `\d \D \w \W \s \S` (ASCII classes, as in RE2).
    static func classEscapeMembers(_ escape: String) -> [Unicode.Scalar] {
        let word: (Unicode.Scalar) -> Bool = { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
        switch escape {
        case "d": return alphabet.filter { ("0"..."9").contains($0) }
        case "D": return alphabet.filter { !("0"..."9").contains($0) }
        case "w": return alphabet.filter(word)
        case "W": return alphabet.filter { !word($0) }
        case "s": return alphabet.filter { $0 == " " || $0 == "\n" }
        default: return alphabet.filter { $0 != " " && $0 != "\n" }
        }
    }
}
