/// Turns a ``PatternNode`` into a ``PatternProgram``, refusing programs over ``LabelPattern/maxInstructions``.
///
/// Alternation becomes a chain of splits; `e{n,m}` becomes `n` copies of `e` and `m - n` optional copies, `e{n,}`
/// `n` copies with the last in a loop. Equal classes are stored once.
struct PatternCompiler {
    private var program = PatternProgram()
    private var classIndex: [ClassKey: UInt32] = [:]

    private struct ClassKey: Hashable {
        var set: ScalarSet
        var negated: Bool
    }

    static func compile(_ node: PatternNode) throws(LabelPatternError) -> PatternProgram {
        var compiler = PatternCompiler()
        try compiler.emit(node)
        _ = try compiler.append(PatternInstruction(opcode: .match))
        return compiler.program
    }

    private var next: UInt32 { UInt32(program.instructions.count) }

    private mutating func append(_ instruction: PatternInstruction) throws(LabelPatternError) -> Int {
        guard program.instructions.count < LabelPattern.maxInstructions else {
            throw LabelPatternError("the pattern is too large: it compiles to more than "
                                    + "\(LabelPattern.maxInstructions) instructions (counted repetitions multiply "
                                    + "what they repeat)", column: nil)
        }
        program.instructions.append(instruction)
        return program.instructions.count - 1
    }

    private mutating func emit(_ node: PatternNode) throws(LabelPatternError) {
        switch node {
        case .empty:
            break
        case .scalar(let scalar, let foldCase):
            if foldCase {
                let set = ScalarSet(scalar: scalar).addingOtherCases()
                _ = try append(PatternInstruction(opcode: .scalarClass, operand: classNumber(set, negated: false)))
            } else {
                _ = try append(PatternInstruction(opcode: .scalar, operand: scalar))
            }
        case .anyScalar(let matchesNewline):
            _ = try append(PatternInstruction(opcode: matchesNewline ? .anyScalar : .anyButNewline))
        case .scalarClass(let set, let negated):
            _ = try append(PatternInstruction(opcode: .scalarClass, operand: classNumber(set, negated: negated)))
        case .assertion(let assertion):
            _ = try append(PatternInstruction(opcode: .assertion, operand: assertion.rawValue))
        case .concatenation(let parts):
            for part in parts { try emit(part) }
        case .alternation(let branches):
            var jumpsToEnd: [Int] = []
            for branch in branches.dropLast() {
                let split = try append(PatternInstruction(opcode: .split, operand: next + 1))
                try emit(branch)
                jumpsToEnd.append(try append(PatternInstruction(opcode: .jump)))
                program.instructions[split].alternative = next
            }
            try emit(branches[branches.count - 1])
            for jump in jumpsToEnd { program.instructions[jump].operand = next }
        case .repetition(let body, let min, let max):
            try emitRepetition(body, min: min, max: max)
        }
    }

    private mutating func emitRepetition(_ body: PatternNode, min: Int, max: Int?) throws(LabelPatternError) {
        guard let max else {
            if min == 0 {
                // loop: split body, out; body; jump loop; out:
                let loop = try append(PatternInstruction(opcode: .split, operand: next + 1))
                try emit(body)
                _ = try append(PatternInstruction(opcode: .jump, operand: UInt32(loop)))
                program.instructions[loop].alternative = next
            } else {
                for _ in 0..<(min - 1) { try emit(body) }
                // loop: body; split loop, out; out:
                let loop = next
                try emit(body)
                _ = try append(PatternInstruction(opcode: .split, operand: loop, alternative: next + 1))
            }
            return
        }
        for _ in 0..<min { try emit(body) }
        // Each optional copy: split copy, out; copy. All skip to the same end.
        var splits: [Int] = []
        for _ in 0..<(max - min) {
            splits.append(try append(PatternInstruction(opcode: .split, operand: next + 1)))
            try emit(body)
        }
        for split in splits { program.instructions[split].alternative = next }
    }

    /// The index of the compiled class for a set (under `(?i)` already holding every case of its members),
    /// compiling it the first time.
    private mutating func classNumber(_ set: ScalarSet, negated: Bool) -> UInt32 {
        let key = ClassKey(set: set, negated: negated)
        if let index = classIndex[key] { return index }
        var low: UInt64 = 0, high: UInt64 = 0
        for scalar in UInt32(0)..<128 where set.contains(scalar) != negated {
            if scalar < 64 { low |= 1 << UInt64(scalar) } else { high |= 1 << UInt64(scalar - 64) }
        }
        let start = Int32(program.ranges.count)
        program.ranges.append(contentsOf: set.ranges)
        program.classes.append(CompiledClass(ascii: (low, high), rangeStart: start, rangeEnd: Int32(program.ranges.count),
                                             negated: negated))
        let index = UInt32(program.classes.count - 1)
        classIndex[key] = index
        return index
    }
}
