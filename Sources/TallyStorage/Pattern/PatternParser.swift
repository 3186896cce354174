/// Reads the RE2-like syntax of label regular expressions (see docs/query-language.md) into a ``PatternNode``.
///
/// Refuses what cannot be matched in linear time (backreferences, lookaround, atomic groups, possessive
/// repetition), what it does not know (unknown escapes, Unicode classes), and patterns over the nesting and repeat
/// count limits. Every error names the 1-based column, counted in Unicode scalars, of what it is about.
struct PatternParser {
    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var depth = 0
    /// No `:]` follows this index: remembered so that many `[:` without one cost one scan, not one each.
    private var noPosixCloseAfter = Int.max
    /// The names of the named groups so far, which must differ (as in RE2).
    private var groupNames: Set<String> = []

    /// Parses a whole pattern.
    static func parse(_ pattern: String) throws(LabelPatternError) -> PatternNode {
        var parser = PatternParser(scalars: Array(pattern.unicodeScalars))
        return try parser.parseWhole()
    }

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private mutating func parseWhole() throws(LabelPatternError) -> PatternNode {
        var flags = PatternFlags()
        let node = try alternation(flags: &flags)
        // An alternation ends only at the end of the pattern or at a ")".
        if position < scalars.count {
            throw fail("unexpected \")\" at column \(column(position)) with no \"(\" to close", at: position)
        }
        return node
    }

    // MARK: - Alternation, concatenation, repetition

    /// Branches separated by `|`, up to a `)` or the end. A flag group such as `(?i)` changes `flags` for the rest
    /// of the enclosing group, later branches included.
    private mutating func alternation(flags: inout PatternFlags) throws(LabelPatternError) -> PatternNode {
        var branches = [try concatenation(flags: &flags)]
        while peek() == "|" {
            position += 1
            branches.append(try concatenation(flags: &flags))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func concatenation(flags: inout PatternFlags) throws(LabelPatternError) -> PatternNode {
        var items: [PatternNode] = []
        while let c = peek(), c != "|", c != ")" {
            // A repetition operator applies to the last node of an atom (the last scalar of `\Q…\E`).
            var nodes = try atom(flags: &flags)
            guard let last = nodes.popLast() else { continue }
            items.append(contentsOf: nodes)
            items.append(try repeated(last))
            // A node that matches only the empty string is left out, so that the compiler never spends work on
            // repeating nothing (`((){1000}){1000}`).
            if case .empty = items.last { items.removeLast() }
        }
        switch items.count {
        case 0: return .empty
        case 1: return items[0]
        default: return .concatenation(items)
        }
    }

    /// The node with the repetition operator that follows it, if any (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each
    /// optionally lazy with a trailing `?`).
    private mutating func repeated(_ node: PatternNode) throws(LabelPatternError) -> PatternNode {
        let start = position
        guard let (min, max) = try repetitionOperator() else { return node }
        if peek() == "?" {
            position += 1  // lazy: matches the same whole values
        } else if peek() == "+" {
            position += 1
            throw fail("possessive repetition \"\(text(start..<position))\" at column \(column(start)) is not supported",
                       at: start)
        }
        if try repetitionOperator() != nil {
            throw fail("nested repetition \"\(text(start..<position))\" at column \(column(start)): put the first "
                       + "part in a group to repeat a repetition, as in \"(a*)*\"", at: start)
        }
        if case .empty = node { return .empty }
        return max == 0 ? .empty : .repetition(node, min: min, max: max)
    }

    /// Consumes a repetition operator and returns its bounds, or returns nil (consuming nothing) when none is next.
    /// A `{` that does not open a well-formed count is not an operator: it stands for itself, as in RE2.
    private mutating func repetitionOperator() throws(LabelPatternError) -> (min: Int, max: Int?)? {
        guard let c = peek() else { return nil }
        switch c {
        case "*": position += 1; return (0, nil)
        case "+": position += 1; return (1, nil)
        case "?": position += 1; return (0, 1)
        case "{":
            guard let count = scanCount(at: position) else { return nil }
            let start = position
            position = count.end
            let written = text(start..<position)
            if count.min > LabelPattern.maxRepeatCount || (count.max ?? 0) > LabelPattern.maxRepeatCount {
                throw fail("repeat count \"\(written)\" at column \(column(start)) is over the limit of "
                           + "\(LabelPattern.maxRepeatCount)", at: start)
            }
            if let max = count.max, max < count.min {
                throw fail("repeat count \"\(written)\" at column \(column(start)) has its maximum below its minimum",
                           at: start)
            }
            return (count.min, count.max)
        default:
            return nil
        }
    }

    /// Reads `{n}`, `{n,}` or `{n,m}` at `index` without consuming it; nil when the text there is not one.
    /// Numbers are capped (so that reading cannot overflow) well above the repeat limit. As in RE2, a number with a
    /// leading zero (`{01}`, `{1,02}`) is not a count, so its `{` stands for itself.
    private func scanCount(at index: Int) -> (min: Int, max: Int?, end: Int)? {
        var i = index + 1
        var leadingZero = false
        func number() -> Int? {
            if i + 1 < scalars.count && scalars[i] == "0" && asciiDigit(scalars[i + 1]) != nil { leadingZero = true }
            var value: Int?
            while i < scalars.count, let digit = asciiDigit(scalars[i]) {
                value = Swift.min((value ?? 0) * 10 + digit, 1_000_000)
                i += 1
            }
            return value
        }
        guard let min = number() else { return nil }
        var max: Int? = min
        if i < scalars.count && scalars[i] == "," {
            i += 1
            max = number()
        }
        guard !leadingZero, i < scalars.count && scalars[i] == "}" else { return nil }
        return (min, max, i + 1)
    }

    // MARK: - Atoms

    /// The nodes of one atom: usually one; none for a flag group `(?i)`; the scalars of `\Q…\E`.
    private mutating func atom(flags: inout PatternFlags) throws(LabelPatternError) -> [PatternNode] {
        let start = position
        let c = scalars[position]
        switch c {
        case "(":
            return try group(flags: &flags)
        case "[":
            return [try bracketExpression(flags: flags)]
        case ".":
            position += 1
            return [.anyScalar(matchesNewline: flags.dotMatchesNewline)]
        case "^":
            position += 1
            return [.assertion(flags.multiline ? .lineStart : .textStart)]
        case "$":
            position += 1
            return [.assertion(flags.multiline ? .lineEnd : .textEnd)]
        case "\\":
            return try escape(flags: flags)
        case "*", "+", "?":
            throw missingArgument(start..<start + 1)
        case "{":
            if let count = scanCount(at: start) { throw missingArgument(start..<count.end) }
            position += 1
            return [literal(c.value, flags)]
        default:
            position += 1
            return [literal(c.value, flags)]
        }
    }

    private func literal(_ scalar: UInt32, _ flags: PatternFlags) -> PatternNode {
        .scalar(scalar, foldCase: flags.caseInsensitive && !CaseFolding.otherCases(of: scalar).isEmpty)
    }

    private func missingArgument(_ range: Range<Int>) -> LabelPatternError {
        fail("missing argument to repetition operator \"\(text(range))\" at column \(column(range.lowerBound)): "
             + "there is nothing before it to repeat", at: range.lowerBound)
    }

    // MARK: - Groups

    /// `(…)`, `(?:…)`, `(?P<name>…)`, `(?<name>…)`, `(?flags:…)`, or the flag group `(?flags)` (which returns no
    /// node and changes `flags`).
    private mutating func group(flags: inout PatternFlags) throws(LabelPatternError) -> [PatternNode] {
        let open = position
        position += 1
        var inner = flags
        if peek() == "?" {
            position += 1
            switch (peek(), peek(1)) {
            case (":", _):
                position += 1
            case ("P", "<"):
                position += 2
                try groupName(groupAt: open)
            case ("<", "="), ("<", "!"):
                throw unsupportedLookaround(at: open, length: 4, kind: peek(1) == "=" ? "lookbehind" : "negative lookbehind")
            case ("<", _):
                position += 1
                try groupName(groupAt: open)
            case ("=", _), ("!", _):
                throw unsupportedLookaround(at: open, length: 3, kind: peek() == "=" ? "lookahead" : "negative lookahead")
            case (">", _):
                throw fail("atomic group \"(?>\" at column \(column(open)) is not supported", at: open)
            case ("P", "="), ("P", ">"):
                throw fail("named backreference \"\(text(open..<open + 4))\" at column \(column(open)) is not "
                           + "supported: backreferences cannot be matched in linear time", at: open)
            case (nil, _):
                throw fail("missing \")\" for \"(\" at column \(column(open))", at: open)
            default:
                if try flagGroup(openedAt: open, flags: &inner) {
                    flags = inner
                    return []
                }
            }
        }
        depth += 1
        defer { depth -= 1 }
        if depth > LabelPattern.maxGroupDepth {
            throw fail("groups nested more than \(LabelPattern.maxGroupDepth) deep at column \(column(open))", at: open)
        }
        let body = try alternation(flags: &inner)
        guard peek() == ")" else { throw fail("missing \")\" for \"(\" at column \(column(open))", at: open) }
        position += 1
        return [body]
    }

    /// Reads `name>` of a named group: letters, digits and `_`, different from the names before. The name is
    /// otherwise not used.
    private mutating func groupName(groupAt open: Int) throws(LabelPatternError) {
        let start = position
        while let c = peek(), isWordScalar(c.value) { position += 1 }
        guard position < scalars.count else { throw fail("missing \")\" for \"(\" at column \(column(open))", at: open) }
        guard position > start, peek() == ">" else {
            throw fail("invalid group name at column \(column(start)) in the group at column \(column(open)): a name "
                       + "is letters, digits and \"_\", closed by \">\"", at: start)
        }
        let name = text(start..<position)
        guard groupNames.insert(name).inserted else {
            throw fail("duplicate group name \"\(name)\" at column \(column(start))", at: start)
        }
        position += 1
    }

    /// Reads the flags of `(?flags)` or `(?flags:` (the position is after `(?`), e.g. `i`, `-i`, `is-m`. Returns true
    /// for `(?flags)`, false for `(?flags:` (the position is then after the `:`, and `flags` holds the group's flags).
    private mutating func flagGroup(openedAt open: Int, flags: inout PatternFlags) throws(LabelPatternError) -> Bool {
        var clearing = false
        var lastWasFlag = false
        var sawMinus = false
        while let c = peek() {
            let at = position
            position += 1
            switch c {
            case "i": flags.caseInsensitive = !clearing
            case "m": flags.multiline = !clearing
            case "s": flags.dotMatchesNewline = !clearing
            case "U": break   // ungreedy: the same values match as a whole
            case "-":
                guard !sawMinus else {
                    throw fail("second \"-\" in the flags at column \(column(at))", at: at)
                }
                clearing = true
                sawMinus = true
                lastWasFlag = false
                continue
            case ")", ":":
                guard lastWasFlag else {
                    let what = sawMinus ? "a flag after \"-\"" : "a flag"
                    throw fail("missing \(what) in \"\(text(open..<position))\" at column \(column(open))", at: open)
                }
                return c == ")"
            default:
                if at == open + 2 && !c.properties.isAlphabetic {
                    throw fail("unsupported group syntax \"\(text(open..<position))\" at column \(column(open))", at: open)
                }
                throw fail("unknown flag \"\(c)\" at column \(column(at)): the flags are i, m, s and U", at: at)
            }
            lastWasFlag = true
        }
        throw fail("missing \")\" for \"(\" at column \(column(open))", at: open)
    }

    private func unsupportedLookaround(at open: Int, length: Int, kind: String) -> LabelPatternError {
        fail("\(kind) \"\(text(open..<open + length))\" at column \(column(open)) is not supported: lookaround "
             + "cannot be matched in linear time", at: open)
    }

    // MARK: - Escapes

    /// An escape outside a bracket expression: a scalar, a class (`\d`), an assertion (`\b`), or `\Q…\E`.
    private mutating func escape(flags: PatternFlags) throws(LabelPatternError) -> [PatternNode] {
        let start = position
        guard position + 1 < scalars.count else {
            throw fail("trailing \"\\\" at column \(column(start)): escape a backslash as \"\\\\\"", at: start)
        }
        let c = scalars[position + 1]
        position += 2
        switch c {
        case "A": return [.assertion(.textStart)]
        case "z": return [.assertion(.textEnd)]
        case "b": return [.assertion(.wordBoundary)]
        case "B": return [.assertion(.notWordBoundary)]
        case "Q":
            var nodes: [PatternNode] = []
            while position < scalars.count {
                if scalars[position] == "\\" && peek(1) == "E" {
                    position += 2
                    break
                }
                nodes.append(literal(scalars[position].value, flags))
                position += 1
            }
            return nodes
        default:
            if let (set, negated) = Self.classEscape(c) {
                // Folded before negation, as in RE2: `(?i)\W` matches no letter, nor the Kelvin sign.
                return [.scalarClass(flags.caseInsensitive ? set.addingOtherCases() : set, negated: negated)]
            }
            return [literal(try escapedScalar(c, escapeAt: start), flags)]
        }
    }

    /// `\d \D \w \W \s \S`: the set and whether the escape stands for its complement.
    private static func classEscape(_ c: Unicode.Scalar) -> (ScalarSet, negated: Bool)? {
        switch c {
        case "d": return (.digits, false)
        case "D": return (.digits, true)
        case "w": return (.wordCharacters, false)
        case "W": return (.wordCharacters, true)
        case "s": return (.whitespace, false)
        case "S": return (.whitespace, true)
        default: return nil
        }
    }

    /// The scalar an escape stands for, `c` being the scalar after the backslash (the position is after `c`):
    /// escaped ASCII punctuation, `\t \n \r \f \v \a`, `\xHH`, `\x{H…}`. Anything else is an error.
    private mutating func escapedScalar(_ c: Unicode.Scalar, escapeAt start: Int) throws(LabelPatternError) -> UInt32 {
        if c.isASCII && !isAlphanumeric(c.value) { return c.value }
        switch c {
        case "t": return 0x09
        case "n": return 0x0A
        case "r": return 0x0D
        case "f": return 0x0C
        case "v": return 0x0B
        case "a": return 0x07
        case "x": return try hexEscape(escapeAt: start)
        case "1"..."9", "k", "g":
            throw fail("backreference \"\(text(start..<position))\" at column \(column(start)) is not supported: "
                       + "backreferences cannot be matched in linear time", at: start)
        case "0":
            throw fail("octal escape \"\\0\" at column \(column(start)) is not supported: write \"\\x00\"", at: start)
        case "p", "P":
            throw fail("Unicode class \"\(text(start..<position))\" at column \(column(start)) is not supported",
                       at: start)
        default:
            throw fail("unknown escape \"\(text(start..<position))\" at column \(column(start))", at: start)
        }
    }

    /// `\xHH` (two hex digits) or `\x{H…}` (any number of digits, at least one, as in RE2; at most 10FFFF, not a
    /// surrogate); the position is after `x`.
    private mutating func hexEscape(escapeAt start: Int) throws(LabelPatternError) -> UInt32 {
        func invalid() -> LabelPatternError {
            fail("invalid hexadecimal escape at column \(column(start)): write \"\\xHH\" or \"\\x{H…}\" with at most "
                 + "10FFFF", at: start)
        }
        var value: UInt32 = 0
        var digits = 0
        if peek() == "{" {
            position += 1
            while let c = peek(), let digit = hexDigit(c) {
                value = value * 16 + digit
                digits += 1
                position += 1
                if value > ScalarSet.maxCodePoint { throw invalid() }
            }
            guard peek() == "}", digits > 0 else { throw invalid() }
            position += 1
        } else {
            for _ in 0..<2 {
                guard let c = peek(), let digit = hexDigit(c) else { throw invalid() }
                value = value * 16 + digit
                position += 1
            }
        }
        guard Unicode.Scalar(value) != nil else { throw invalid() }
        return value
    }

    // MARK: - Bracket expressions

    /// `[…]` or `[^…]`: scalars, ranges `a-z`, class escapes, and POSIX classes `[:alpha:]`. A `]` right after the
    /// opening `[` or `[^` stands for itself, as does a `-` that cannot be part of a range. Under `(?i)` the set
    /// gets the other cases of its members here, before any negation, so that matching never looks up a case.
    private mutating func bracketExpression(flags: PatternFlags) throws(LabelPatternError) -> PatternNode {
        let open = position
        position += 1
        var negated = false
        if peek() == "^" {
            negated = true
            position += 1
        }
        var set = ScalarSet()
        var first = true
        while true {
            guard let c = peek() else { throw fail("missing \"]\" for \"[\" at column \(column(open))", at: open) }
            if c == "]" && !first {
                position += 1
                break
            }
            first = false
            if c == "[" && peek(1) == ":", let posix = try posixClass(caseInsensitive: flags.caseInsensitive) {
                set.insert(contentsOf: posix)
                continue
            }
            let itemStart = position
            switch try classItem(caseInsensitive: flags.caseInsensitive) {
            case .set(let items):
                set.insert(contentsOf: items)
            case .scalar(let lower):
                guard peek() == "-", let after = peek(1), after != "]" else {
                    set.insert(lower...lower)
                    continue
                }
                position += 1
                guard case .scalar(let upper) = try classItem(caseInsensitive: flags.caseInsensitive), lower <= upper else {
                    throw fail("invalid character class range \"\(text(itemStart..<position))\" at column "
                               + "\(column(itemStart))", at: itemStart)
                }
                set.insert(lower...upper)
            }
        }
        return .scalarClass(flags.caseInsensitive ? set.addingOtherCases() : set, negated: negated)
    }

    private enum ClassItem {
        case scalar(UInt32)
        case set(ScalarSet)
    }

    /// One scalar or class escape inside a bracket expression.
    private mutating func classItem(caseInsensitive: Bool) throws(LabelPatternError) -> ClassItem {
        let c = scalars[position]
        guard c == "\\" else {
            position += 1
            return .scalar(c.value)
        }
        let start = position
        guard position + 1 < scalars.count else {
            throw fail("trailing \"\\\" at column \(column(start)): escape a backslash as \"\\\\\"", at: start)
        }
        let escaped = scalars[position + 1]
        position += 2
        if let (set, negated) = Self.classEscape(escaped) {
            return .set(Self.bracketItem(set, negated: negated, caseInsensitive: caseInsensitive))
        }
        if "AzbBQE".unicodeScalars.contains(escaped) {
            throw fail("escape \"\(text(start..<position))\" at column \(column(start)) is not allowed in a "
                       + "character class", at: start)
        }
        return .scalar(try escapedScalar(escaped, escapeAt: start))
    }

    /// `[:name:]` or `[:^name:]` at the position, consumed; nil (nothing consumed) when no `:]` closes it, in which
    /// case the `[` stands for itself.
    private mutating func posixClass(caseInsensitive: Bool) throws(LabelPatternError) -> ScalarSet? {
        let start = position
        guard start < noPosixCloseAfter else { return nil }
        var end = start + 2
        while end + 1 < scalars.count && !(scalars[end] == ":" && scalars[end + 1] == "]") { end += 1 }
        guard end + 1 < scalars.count else {
            noPosixCloseAfter = start
            return nil
        }
        var name = text(start + 2..<end)
        let negated = name.hasPrefix("^")
        if negated { name.removeFirst() }
        guard let set = ScalarSet.posixClasses[name] else {
            throw fail("unknown POSIX class \"\(text(start..<end + 2))\" at column \(column(start))", at: start)
        }
        position = end + 2
        return Self.bracketItem(set, negated: negated, caseInsensitive: caseInsensitive)
    }

    /// The scalars of a class escape (`\W`) or POSIX class (`[:^alpha:]`) inside brackets. Under `(?i)` a negated
    /// one is folded before it is negated, as in RE2: `(?i)[[:^upper:]]` matches no letter, like `(?i)[^[:upper:]]`
    /// (negating first would leave the lowercase letters in, and folding would then add the uppercase ones back).
    private static func bracketItem(_ set: ScalarSet, negated: Bool, caseInsensitive: Bool) -> ScalarSet {
        guard negated else { return set }
        return (caseInsensitive ? set.addingOtherCases() : set).inverted()
    }

    // MARK: - Helpers

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private func column(_ index: Int) -> Int { index + 1 }

    private func text(_ range: Range<Int>) -> String {
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars[range.clamped(to: 0..<scalars.count)])
        return s
    }

    private func fail(_ message: String, at index: Int) -> LabelPatternError {
        LabelPatternError(message, column: column(index))
    }
}

private func asciiDigit(_ c: Unicode.Scalar) -> Int? {
    c.value >= 0x30 && c.value <= 0x39 ? Int(c.value - 0x30) : nil
}

private func hexDigit(_ c: Unicode.Scalar) -> UInt32? {
    switch c.value {
    case 0x30...0x39: return c.value - 0x30
    case 0x41...0x46: return c.value - 0x41 + 10
    case 0x61...0x66: return c.value - 0x61 + 10
    default: return nil
    }
}

private func isAlphanumeric(_ c: UInt32) -> Bool {
    (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
}

/// `[0-9A-Za-z_]`, the word scalars of `\w` and `\b`.
func isWordScalar(_ c: UInt32) -> Bool {
    isAlphanumeric(c) || c == 0x5F
}
