extension PatternProgram {
    /// Whether the program matches the whole value, by Thompson's simulation of the NFA: the set of instructions
    /// the match could be at is advanced one scalar at a time, each instruction at most once per step. Time is
    /// O(scalars × instructions); memory is one allocation per call: marks and two lists the size of the program, and a stack of twice
    /// that plus one.
    func matchesWhole(_ value: String) -> Bool {
        let size = instructions.count
        return instructions.withUnsafeBufferPointer { code in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 5 * size + 1) { buffer in
                var state = MatchState(buffer: buffer.baseAddress!, size: size)
                return run(code.baseAddress!, value, &state)
            }
        }
    }

    private func run(_ code: UnsafePointer<PatternInstruction>, _ value: String, _ state: inout MatchState) -> Bool {
        var scalars = value.unicodeScalars.makeIterator()
        var lookahead = scalars.next()
        state.addClosure(from: 0, code, previous: noScalar, following: lookahead?.value ?? noScalar)
        state.finishStep()
        while let scalar = lookahead {
            guard state.currentCount > 0 else { return false }
            lookahead = scalars.next()
            state.startStep()
            let c = scalar.value, following = lookahead?.value ?? noScalar
            for k in 0..<state.currentCount {
                let pc = state.current[k]
                let instruction = code[pc]
                let accepted: Bool
                switch instruction.opcode {
                case .scalar: accepted = instruction.operand == c
                case .anyScalar: accepted = true
                case .anyButNewline: accepted = c != 0x0A
                case .scalarClass: accepted = classContains(Int(instruction.operand), c)
                case .split, .jump, .assertion, .match: accepted = false
                }
                if accepted { state.addClosure(from: pc + 1, code, previous: c, following: following) }
            }
            state.finishStep()
        }
        for k in 0..<state.currentCount where code[state.current[k]].opcode == .match { return true }
        return false
    }
}

/// Stands for "no scalar" before the start or after the end of the value.
private let noScalar = UInt32.max

/// The working memory of one match: the instructions reached at the current position, those reached after the
/// next scalar, the step in which each instruction was last added, and a stack for following splits and jumps.
private struct MatchState {
    /// Instructions (consuming ones and `match`) the match can be at before the next scalar.
    var current: UnsafeMutablePointer<Int>
    var currentCount = 0
    /// Instructions reached after consuming it.
    private var next: UnsafeMutablePointer<Int>
    private var nextCount = 0
    /// `marks[pc] == step` when pc was reached in this step: each instruction is visited once per step.
    private let marks: UnsafeMutablePointer<Int>
    private var step = 1
    /// Pending instructions of a closure. An instruction pushes its successors (two at most) only the first time it
    /// is popped in a step, so after popping v instructions at most 1 + 2v were pushed and at most v + 1 ≤ size + 1
    /// are pending: the room for 2 × size + 1 is never exceeded.
    private let stack: UnsafeMutablePointer<Int>
    /// The entries `stack` has room for: 2 × size + 1.
    private let stackCapacity: Int

    /// Splits a buffer of `5 * size + 1` integers.
    init(buffer: UnsafeMutablePointer<Int>, size: Int) {
        marks = buffer
        marks.initialize(repeating: 0, count: size)
        current = buffer + size
        next = buffer + 2 * size
        stack = buffer + 3 * size
        stackCapacity = 2 * size + 1
    }

    /// Starts filling the next list (the first step fills it with the start's closure).
    mutating func startStep() {
        step += 1
        nextCount = 0
    }

    /// Makes the next list the current one.
    mutating func finishStep() {
        swap(&current, &next)
        currentCount = nextCount
    }

    /// Adds `start`, and everything reachable from it without consuming a scalar, to the next list, in the position
    /// between `previous` and `following`.
    mutating func addClosure(from start: Int, _ code: UnsafePointer<PatternInstruction>, previous: UInt32,
                             following: UInt32) {
        stack[0] = start
        var top = 1
        while top > 0 {
            top -= 1
            let pc = stack[top]
            guard marks[pc] != step else { continue }
            marks[pc] = step
            let instruction = code[pc]
            switch instruction.opcode {
            case .jump:
                assert(top < stackCapacity, "closure stack overflow")
                stack[top] = Int(instruction.operand)
                top += 1
            case .split:
                assert(top + 1 < stackCapacity, "closure stack overflow")
                stack[top] = Int(instruction.alternative)
                stack[top + 1] = Int(instruction.operand)
                top += 2
            case .assertion:
                if holds(PatternAssertion(rawValue: instruction.operand)!, previous: previous, following: following) {
                    assert(top < stackCapacity, "closure stack overflow")
                    stack[top] = pc + 1
                    top += 1
                }
            case .scalar, .anyScalar, .anyButNewline, .scalarClass, .match:
                next[nextCount] = pc
                nextCount += 1
            }
        }
    }

    private func holds(_ assertion: PatternAssertion, previous: UInt32, following: UInt32) -> Bool {
        switch assertion {
        case .textStart: return previous == noScalar
        case .textEnd: return following == noScalar
        case .lineStart: return previous == noScalar || previous == 0x0A
        case .lineEnd: return following == noScalar || following == 0x0A
        case .wordBoundary: return isWord(previous) != isWord(following)
        case .notWordBoundary: return isWord(previous) == isWord(following)
        }
    }

    private func isWord(_ scalar: UInt32) -> Bool { scalar != noScalar && isWordScalar(scalar) }
}
