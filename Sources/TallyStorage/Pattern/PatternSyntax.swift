/// A parsed regular expression: what ``PatternParser`` builds and ``PatternCompiler`` turns into a program.
///
/// Groups leave no node of their own (nothing is captured); flags are already applied to the nodes they cover.
indirect enum PatternNode: Sendable, Equatable {
    /// Matches the empty string.
    case empty
    /// One scalar; with `foldCase`, any of its cases.
    case scalar(UInt32, foldCase: Bool)
    /// `.`: any scalar, or any but `\n`.
    case anyScalar(matchesNewline: Bool)
    /// A character class: a scalar in `set`, or with `negated` a scalar not in it. Under `(?i)` the parser has
    /// already added the other cases of the members to `set`, so negation comes after folding: `(?i)[^a]` matches
    /// neither `a` nor `A`.
    case scalarClass(ScalarSet, negated: Bool)
    /// An empty-width assertion such as `^` or `\b`.
    case assertion(PatternAssertion)
    /// The parts one after another.
    case concatenation([PatternNode])
    /// Any one of the branches.
    case alternation([PatternNode])
    /// The node `min` to `max` times (`max` nil: no upper bound). Lazy and greedy repetitions match the same
    /// values when the whole value must match, so the parser does not record which was written.
    case repetition(PatternNode, min: Int, max: Int?)
}

/// A condition on the position between two scalars that consumes nothing.
enum PatternAssertion: UInt32, Sendable, Equatable {
    /// `^` (or `\A`): the start of the value.
    case textStart
    /// `$` (or `\z`): the end of the value.
    case textEnd
    /// `^` under `(?m)`: the start of the value or just after a `\n`.
    case lineStart
    /// `$` under `(?m)`: the end of the value or just before a `\n`.
    case lineEnd
    /// `\b`: between a word scalar (`[0-9A-Za-z_]`) and a non-word one, or a word scalar and an end.
    case wordBoundary
    /// `\B`: not at a word boundary.
    case notWordBoundary
}

/// The flags set by `(?ims)` and cleared by `(?-ims)`, for the rest of the enclosing group or within `(?flags:…)`.
/// `U` (ungreedy) is accepted and kept nowhere: it changes nothing for a whole-value match.
struct PatternFlags: Sendable, Equatable {
    /// `i`: letters match either case.
    var caseInsensitive = false
    /// `m`: `^` and `$` also match at line breaks.
    var multiline = false
    /// `s`: `.` also matches `\n`.
    var dotMatchesNewline = false
}
