/// One step of a compiled pattern: consume a scalar, branch, or test the position. A plain value, so a program is
/// arrays of trivial structs that threads share freely.
struct PatternInstruction: Sendable {
    enum Opcode: UInt8, Sendable {
        /// Consume the scalar `operand`.
        case scalar
        /// Consume any scalar.
        case anyScalar
        /// Consume any scalar but `\n`.
        case anyButNewline
        /// Consume a scalar of the class `classes[operand]`.
        case scalarClass
        /// Continue at both `operand` and `alternative`.
        case split
        /// Continue at `operand`.
        case jump
        /// Continue at the next instruction when the ``PatternAssertion`` with raw value `operand` holds.
        case assertion
        /// The value matches if the input ends here.
        case match
    }

    var opcode: Opcode
    var operand: UInt32 = 0
    var alternative: UInt32 = 0
}

/// A character class ready for matching: membership of the ASCII scalars as a bitmap (negation already applied),
/// the ranges for the rest. Under `(?i)` the ranges already hold every case of the class's members, so matching
/// looks up no case folding.
struct CompiledClass: Sendable {
    /// Bit `c` of the pair is set when ASCII scalar `c` is in the class.
    var ascii: (low: UInt64, high: UInt64)
    /// The class's ranges in ``PatternProgram/ranges``.
    var rangeStart: Int32
    var rangeEnd: Int32
    var negated: Bool
}

/// A pattern compiled to a Thompson NFA: instructions, the classes they test, and the classes' ranges. Matched by
/// ``matchesWhole(_:)`` (PatternMatcher.swift) in time proportional to the value's length times the program's size.
struct PatternProgram: Sendable {
    var instructions: [PatternInstruction] = []
    var classes: [CompiledClass] = []
    var ranges: [ClosedRange<UInt32>] = []

    /// Whether `scalar` is in class `index`.
    @inline(__always)
    func classContains(_ index: Int, _ scalar: UInt32) -> Bool {
        let cls = classes[index]
        if scalar < 64 { return cls.ascii.low & (1 << UInt64(scalar)) != 0 }
        if scalar < 128 { return cls.ascii.high & (1 << UInt64(scalar - 64)) != 0 }
        return rangesContain(cls, scalar) != cls.negated
    }

    /// Out of line: inlined into the matcher's loop it made patterns without classes slower (`(a+)+b` on 10,000
    /// values: 6.1 → 6.8 ms, tally-bench label-regex).
    @inline(never)
    private func rangesContain(_ cls: CompiledClass, _ scalar: UInt32) -> Bool {
        let own = ranges[Int(cls.rangeStart)..<Int(cls.rangeEnd)]
        let low = own.partitionPoint { $0.upperBound < scalar }
        return low < own.endIndex && own[low].lowerBound <= scalar
    }
}
