// The integer-sequence workhorse shared by the timestamp, value (integer/decimal/float-bits), LSN and integer
// codecs: optional GCD scaling, then frame-of-reference (order 0), delta (order 1) or delta-of-delta (order 2)
// bit-packing with patched exceptions ("PFOR"), or run-length encoding; whichever is estimated smallest.
// All arithmetic is modulo 2^64, so every Int64 sequence round-trips exactly (wrapping differences included).

/// Layout codes stored in the low 7 bits of an IntColumn's first byte. Fixed: they are written into files.
enum IntLayout: UInt8, Sendable {
    case frameOfReference = 0
    case delta = 1
    case deltaOfDelta = 2
    case runLength = 3
    /// Regular grid with jitter: slot advances and offsets from the grid, as two PFOR sections.
    case grid = 4
}

/// Bit 7 of the layout byte: a GCD section follows.
let intLayoutGCDFlag: UInt8 = 0x80

/// Estimated fixed cost in bits of one PFOR exception beyond its overflow bits (position varint + varint slack).
let pforExceptionBaseBits = 13

/// Parameters of one PFOR (frame of reference + bit width + exceptions) section.
struct PForParams: Sendable {
    var base: Int64
    var width: Int
    /// Estimated encoded size in bits (packed bits + exceptions + header).
    var costBits: Int
}

/// The chosen encoding of one integer sequence.
struct IntColumnPlan {
    var layout: IntLayout
    /// 0 = no GCD scaling; otherwise >= 2.
    var gcd: UInt64
    var ref: Int64
    /// The GCD-scaled sequence when `gcd != 0`.
    var scaled: [Int64]
    var pfor: PForParams
    /// Estimated total size in bits.
    var costBits: Int
    /// Set when `layout == .grid`.
    var grid: GridPlan? = nil
}

/// Grid layout: value i = first + step * k_i + j_i, with slot advances m_i = k_i - k_(i-1) and offsets j_i.
struct GridPlan {
    var step: Int64
    var advances: [Int64]
    var offsets: [Int64]
    var advancesPFor: PForParams
    var offsetsPFor: PForParams
    var costBits: Int
}

/// Rounds to the nearest integer (ties to even) without libm or range checks; |x| must be below 2^51.
@inline(__always)
func roundToInt64(_ x: Double) -> Int64 {
    let magic = 6_755_399_441_055_744.0  // 1.5 * 2^52
    return Int64(bitPattern: (x + magic).bitPattern) &- Int64(bitPattern: magic.bitPattern)
}

/// Rounds half away from zero without libm (|x| must be below 2^62).
@inline(__always)
func roundHalfAway(_ x: Double) -> Double {
    Double(Int64(x + (x < 0 ? -0.5 : 0.5)))
}

enum IntColumn {
    // MARK: GCD

    @inline(__always)
    static func binaryGCD(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var a = a, b = b
        if a == 0 { return b }
        if b == 0 { return a }
        let shift = (a | b).trailingZeroBitCount
        a >>= UInt64(a.trailingZeroBitCount)
        repeat {
            b >>= UInt64(b.trailingZeroBitCount)
            if a > b { swap(&a, &b) }
            b &-= a
        } while b != 0
        return a << UInt64(shift)
    }

    /// Multiplicative inverse of an odd number modulo 2^64 (Newton iteration).
    @inline(__always)
    static func inverseOdd(_ x: UInt64) -> UInt64 {
        var inv = x
        for _ in 0..<5 { inv = inv &* (2 &- x &* inv) }
        return inv
    }

    /// The GCD of all `|s[i] - s[0]|` (wrapping differences read as Int64), or 0 if all are equal, or 1.
    static func commonDivisor(_ s: UnsafeBufferPointer<Int64>) -> UInt64 {
        let n = s.count
        if n < 2 { return 0 }
        let s0 = s[0]
        var g: UInt64 = 0
        var tz: UInt64 = 0
        var inv: UInt64 = 0
        var limit: UInt64 = 0
        var lowBits: UInt64 = 0
        for i in 1..<n {
            let m = (s[i] &- s0).magnitude
            if m == 0 { continue }
            if g != 0 && (m & lowBits) == 0 && (m &>> tz) &* inv <= limit { continue }
            g = binaryGCD(g, m)
            if g == 1 { return 1 }
            tz = UInt64(g.trailingZeroBitCount)
            lowBits = lowMask(Int(tz))
            let odd = g &>> tz
            inv = inverseOdd(odd)
            limit = UInt64.max / odd
        }
        return g
    }

    // MARK: Planning

    /// Picks the cheapest PFOR width/base for a histogram of bit lengths; `baseFor(width)` gives the base.
    @inline(__always)
    static func bestWidth(_ hist: UnsafeMutablePointer<Int>, count m: Int) -> (width: Int, cost: Int) {
        var bestCost = 64 &* m
        var bestWidth = 64
        var cntGT = 0
        var sumGT = 0
        var b = 63
        while b >= 0 {
            let l = b &+ 1
            cntGT &+= hist[l]
            sumGT &+= hist[l] &* l
            let over = sumGT &- b &* cntGT
            let cost = m &* b &+ cntGT &* pforExceptionBaseBits &+ (over &* 8 &+ 6) / 7
            if cost < bestCost { bestCost = cost; bestWidth = b }
            b &-= 1
        }
        return (bestWidth, bestCost)
    }

    /// Element `i` (i >= order) of the order-`order` difference sequence of `s`.
    @inline(__always)
    static func element(_ s: UnsafePointer<Int64>, _ i: Int, order: Int) -> Int64 {
        switch order {
        case 0: return s[i]
        case 1: return s[i] &- s[i &- 1]
        default: return (s[i] &- s[i &- 1]) &- (s[i &- 1] &- s[i &- 2])
        }
    }

    /// The median of `count` (>= 1) values, by quickselect in place.
    @inline(__always)
    static func median(_ v: UnsafeMutablePointer<Int64>, count: Int) -> Int64 {
        let k = count / 2
        var lo = 0
        var hi = count &- 1
        while lo < hi {
            let pivot = v[(lo &+ hi) / 2]
            var i = lo
            var j = hi
            while i <= j {
                while v[i] < pivot { i &+= 1 }
                while v[j] > pivot { j &-= 1 }
                if i <= j {
                    let t = v[i]; v[i] = v[j]; v[j] = t
                    i &+= 1
                    j &-= 1
                }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { break }
        }
        return v[k]
    }

    /// Median of an evenly spaced sample of the order-`order` differences of `s`.
    static func sampleMedian(_ s: UnsafePointer<Int64>, n: Int, order: Int) -> Int64 {
        let m = n &- order
        let sampleCount = Swift.min(m, 31)
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: sampleCount) { buf in
            let step = m / sampleCount
            for j in 0..<sampleCount { buf[j] = element(s, order &+ j &* step, order: order) }
            return median(buf.baseAddress!, count: sampleCount)
        }
    }

    /// Plans the PFOR section for the order-`order` differences of `s` (elements order..<n).
    ///
    /// Two bit-length histograms are built in one pass: lengths of `e - min` (frame at the minimum, exceptions
    /// above) and of `zigzag(e - median)` (frame centred on the median, exceptions on both sides). Each histogram
    /// gives the exact number of exceptions for every width, so the cheapest (width, frame) is found exactly up to
    /// the per-exception size estimate. Histograms are split in four copies so consecutive equal lengths do not
    /// serialise on one counter.
    static func planPFor(_ s: UnsafePointer<Int64>, n: Int, order: Int, min mn: Int64, max mx: Int64) -> PForParams {
        let m = n &- order
        let range = UInt64(bitPattern: mx &- mn)
        let rangeBits = bitLength(range)
        let header = 8 &+ 8 &* varUIntSize(ZigZag.encode(mn)) &+ 8
        if rangeBits == 0 || m < 16 {
            return PForParams(base: mn, width: rangeBits, costBits: m &* rangeBits &+ header)
        }
        let med = sampleMedian(s, n: n, order: order)
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 8 &* 65) { hist in
            let h = hist.baseAddress!
            h.initialize(repeating: 0, count: 8 &* 65)
            // Copy c of histogram A is at h + 65*c, of histogram B at h + 65*(4+c).
            @inline(__always) func add(_ e: Int64, _ c: Int) {
                h[65 &* c &+ bitLength(UInt64(bitPattern: e &- mn))] &+= 1
                h[65 &* (4 &+ c) &+ bitLength(ZigZag.encode(e &- med))] &+= 1
            }
            var i = order
            switch order {
            case 0:
                while i &+ 4 <= n {
                    add(s[i], 0); add(s[i &+ 1], 1); add(s[i &+ 2], 2); add(s[i &+ 3], 3)
                    i &+= 4
                }
                while i < n { add(s[i], 0); i &+= 1 }
            case 1:
                while i &+ 4 <= n {
                    add(s[i] &- s[i &- 1], 0); add(s[i &+ 1] &- s[i], 1)
                    add(s[i &+ 2] &- s[i &+ 1], 2); add(s[i &+ 3] &- s[i &+ 2], 3)
                    i &+= 4
                }
                while i < n { add(s[i] &- s[i &- 1], 0); i &+= 1 }
            default:
                while i < n { add(element(s, i, order: 2), i & 3); i &+= 1 }
            }
            for c in 1..<4 {
                for l in 0..<65 {
                    h[l] &+= h[65 &* c &+ l]
                    h[260 &+ l] &+= h[65 &* (4 &+ c) &+ l]
                }
            }
            let a = bestWidth(h, count: m)
            let b = bestWidth(h + 260, count: m)
            if b.cost < a.cost && b.width < 64 {
                let base = b.width == 0 ? med : med &- (Int64(1) &<< Int64(b.width &- 1))
                return PForParams(base: base, width: b.width,
                                  costBits: b.cost &+ 16 &+ 8 &* varUIntSize(ZigZag.encode(base)))
            }
            return PForParams(base: mn, width: a.width, costBits: a.cost &+ header)
        }
    }

    /// Plans the grid layout: finds a step S such that most values sit within a small offset of
    /// `s[0] + S * k` for integer k. Returns nil when no positive step fits or the values are too spread out.
    static func planGrid(_ s: UnsafePointer<Int64>, n: Int) -> GridPlan? {
        let a = s[0]
        let limit: Int64 = 1 << 51
        // Median delta from an evenly spaced sample.
        var step = Double(sampleMedian(s, n: n, order: 1))
        guard step >= 1 else { return nil }
        // Refine the step on points ever further from the start (k from the current estimate, then S = offset / k).
        var probe = max(1, (n &- 1) / 64)
        while true {
            let off = s[probe] &- a
            guard off > -limit && off < limit else { return nil }
            let k = roundHalfAway(Double(off) / step)
            if k >= 1 { step = Double(off) / k }
            if probe == n &- 1 { break }
            probe = min(n &- 1, probe &* 4)
        }
        let rounded = Int64(roundHalfAway(step))
        guard rounded >= 1 else { return nil }
        // Candidates: the estimate and its rounding to a multiple of 10, 100, 1000.
        var candidates: [Int64] = [rounded]
        var unit: Int64 = 10
        while unit <= 1000 && unit <= rounded {
            let c = (rounded &+ unit / 2) / unit &* unit
            if !candidates.contains(c) { candidates.append(c) }
            unit &*= 10
        }
        var bestStep: Int64 = candidates[0]
        var bestSpan = UInt64.max
        // The candidates are compared on at most 256 evenly spaced points; the chosen step is then checked on all.
        let stride = Swift.max(1, n / 256)
        for c in candidates where candidates.count > 1 {
            let inv = 1.0 / Double(c)
            var mn = Int64.max
            var mx = Int64.min
            var ok = true
            for i in Swift.stride(from: 0, to: n, by: stride) {
                let off = s[i] &- a
                if off <= -limit || off >= limit { ok = false; break }
                let k = roundToInt64(Double(off) * inv)
                let j = off &- c &* k
                mn = Swift.min(mn, j)
                mx = Swift.max(mx, j)
            }
            guard ok else { return nil }
            let span = UInt64(bitPattern: mx &- mn)
            if span < bestSpan || (span == bestSpan && c > bestStep) { bestSpan = span; bestStep = c }
        }
        let c = bestStep
        let inv = 1.0 / Double(c)
        var offsets: [Int64] = []
        var mnA = Int64.max, mxA = Int64.min, mnJ = Int64.max, mxJ = Int64.min
        var outside = false
        let advances = [Int64](unsafeUninitializedCapacity: n &- 1) { adv, advCount in
            offsets = [Int64](unsafeUninitializedCapacity: n &- 1) { off, offCount in
                var prevK: Int64 = 0
                for i in 1..<n {
                    let o = s[i] &- a
                    outside = outside || o <= -limit || o >= limit
                    let k = roundToInt64(Double(o) * inv)
                    let m = k &- prevK
                    let j = o &- c &* k
                    adv[i &- 1] = m
                    off[i &- 1] = j
                    mnA = Swift.min(mnA, m); mxA = Swift.max(mxA, m)
                    mnJ = Swift.min(mnJ, j); mxJ = Swift.max(mxJ, j)
                    prevK = k
                }
                offCount = n &- 1
            }
            advCount = n &- 1
        }
        if outside { return nil }
        let pm = advances.withUnsafeBufferPointer { planPFor($0.baseAddress!, n: n &- 1, order: 0, min: mnA, max: mxA) }
        let pj = offsets.withUnsafeBufferPointer { planPFor($0.baseAddress!, n: n &- 1, order: 0, min: mnJ, max: mxJ) }
        let cost = pm.costBits &+ pj.costBits &+ 8 &* (varUIntSize(ZigZag.encode(a)) &+ varUIntSize(UInt64(c)))
        return GridPlan(step: c, advances: advances, offsets: offsets, advancesPFor: pm, offsetsPFor: pj,
                        costBits: cost)
    }

    /// Chooses the layout for `s` (count >= 1). `maxOrder` limits which difference orders are tried.
    /// `forcing` (tests only) skips the choice and plans exactly that layout; `useGCD: false` disables scaling.
    static func plan(_ input: UnsafeBufferPointer<Int64>, maxOrder: Int = 2, allowRunLength: Bool = true,
                     tryGrid: Bool = false, forcing: IntLayout? = nil, useGCD: Bool = true) -> IntColumnPlan
    {
        let n = input.count
        precondition(n >= 1)
        var gcd = useGCD ? commonDivisor(input) : 0
        var scaled: [Int64] = []
        let ref = input[0]
        if gcd >= 2 {
            let tz = UInt64(gcd.trailingZeroBitCount)
            let inv = inverseOdd(gcd &>> tz)
            scaled = [Int64](unsafeUninitializedCapacity: n) { buf, initialized in
                for i in 0..<n {
                    let d = input[i] &- ref
                    buf[i] = Int64(bitPattern: UInt64(bitPattern: d &>> Int64(tz)) &* inv)
                }
                initialized = n
            }
        } else {
            gcd = 0
        }
        var result = IntColumnPlan(layout: .frameOfReference, gcd: gcd, ref: ref, scaled: [],
                                   pfor: PForParams(base: 0, width: 64, costBits: .max), costBits: .max)
        let gcdBits = gcd == 0 ? 0 : 8 &* (varUIntSize(gcd) &+ varUIntSize(ZigZag.encode(ref)))
        func evaluate(_ s: UnsafePointer<Int64>) {
            // Pass 1: ranges of the three difference orders and the number of runs.
            var mn0 = s[0], mx0 = s[0]
            var mn1 = Int64.max, mx1 = Int64.min
            var mn2 = Int64.max, mx2 = Int64.min
            var runs = 1
            if n >= 2 {
                let d1 = s[1] &- s[0]
                mn0 = Swift.min(mn0, s[1]); mx0 = Swift.max(mx0, s[1])
                mn1 = d1; mx1 = d1
                runs &+= d1 != 0 ? 1 : 0
                var i = 2
                while i < n {
                    let v = s[i]
                    let d = v &- s[i &- 1]
                    let dd = d &- (s[i &- 1] &- s[i &- 2])
                    mn0 = Swift.min(mn0, v); mx0 = Swift.max(mx0, v)
                    mn1 = Swift.min(mn1, d); mx1 = Swift.max(mx1, d)
                    mn2 = Swift.min(mn2, dd); mx2 = Swift.max(mx2, dd)
                    runs &+= d != 0 ? 1 : 0
                    i &+= 1
                }
            }

            // Orders whose value range needs 6+ more bits than the narrowest order's are not worth a histogram
            // pass: exceptions would have to cover most of their values to compete.
            let rb0 = bitLength(UInt64(bitPattern: mx0 &- mn0))
            let rb1 = maxOrder >= 1 && n >= 2 ? bitLength(UInt64(bitPattern: mx1 &- mn1)) : 65
            let rb2 = maxOrder >= 2 && n >= 3 ? bitLength(UInt64(bitPattern: mx2 &- mn2)) : 65
            if let forcing {
                result.layout = forcing
                switch forcing {
                case .frameOfReference: result.pfor = planPFor(s, n: n, order: 0, min: mn0, max: mx0)
                case .delta: result.pfor = planPFor(s, n: n, order: 1, min: mn1, max: mx1)
                case .deltaOfDelta: result.pfor = planPFor(s, n: n, order: 2, min: mn2, max: mx2)
                case .runLength: break
                case .grid: result.grid = planGrid(s, n: n)
                }
                return
            }
            let cutoff = Swift.min(rb0, rb1, rb2) &+ 6
            var best = PForParams(base: mn0, width: rb0, costBits: .max)
            var bestLayout = IntLayout.frameOfReference
            if rb0 <= cutoff {
                best = planPFor(s, n: n, order: 0, min: mn0, max: mx0)
            } else {
                best.costBits = n &* rb0 &+ 24
            }
            if rb1 <= cutoff {
                var p = planPFor(s, n: n, order: 1, min: mn1, max: mx1)
                p.costBits &+= 8 &* varUIntSize(ZigZag.encode(s[0]))
                if p.costBits < best.costBits { best = p; bestLayout = .delta }
            }
            // Second differences spread wider than the first ones (jittered times, noisy values) do not win.
            if rb2 <= cutoff && rb2 <= rb1 {
                var p = planPFor(s, n: n, order: 2, min: mn2, max: mx2)
                p.costBits &+= 8 &* (varUIntSize(ZigZag.encode(s[0])) &+ varUIntSize(ZigZag.encode(s[1] &- s[0])))
                if p.costBits < best.costBits { best = p; bestLayout = .deltaOfDelta }
            }
            result.pfor = best
            result.layout = bestLayout
            result.costBits = best.costBits &+ 8 &+ gcdBits
            // Every run costs at least 2 bytes, and with runs > n/2 the run values alone cost about what the delta
            // layout does, so only price the runs exactly when they could win.
            if allowRunLength && runs &* 2 <= n && 16 &* runs &+ 8 &+ gcdBits <= result.costBits {
                let rleBits = 8 &* runLengthBytes(s, n: n) &+ 8 &+ gcdBits
                if rleBits <= result.costBits {
                    result.layout = .runLength
                    result.costBits = rleBits
                }
            }
            if tryGrid && n >= 16 && result.layout != .runLength && result.pfor.width > 1 {
                if let g = planGrid(s, n: n), g.costBits &+ 8 &+ gcdBits < result.costBits {
                    result.layout = .grid
                    result.costBits = g.costBits &+ 8 &+ gcdBits
                    result.grid = g
                }
            }
        }
        if gcd != 0 {
            scaled.withUnsafeBufferPointer { evaluate($0.baseAddress!) }
            result.scaled = scaled
        } else {
            evaluate(input.baseAddress!)
        }
        return result
    }

    // MARK: Writing

    /// Plans and writes `s` (count >= 1).
    static func encode(_ s: UnsafeBufferPointer<Int64>, into w: inout ByteWriter, maxOrder: Int = 2,
                       tryGrid: Bool = false) {
        let p = plan(s, maxOrder: maxOrder, tryGrid: tryGrid)
        write(s, plan: p, into: &w)
    }

    /// Writes `input` with a plan made by ``plan(_:maxOrder:allowRunLength:)`` for the same input.
    static func write(_ input: UnsafeBufferPointer<Int64>, plan p: IntColumnPlan, into w: inout ByteWriter) {
        let n = input.count
        var layoutByte = p.layout.rawValue
        if p.gcd != 0 { layoutByte |= intLayoutGCDFlag }
        w.writeUInt8(layoutByte)
        if p.gcd != 0 {
            w.writeVarUInt(p.gcd)
            w.writeVarInt(p.ref)
        }
        let body = { (s: UnsafePointer<Int64>, w: inout ByteWriter) in
            switch p.layout {
            case .runLength:
                writeRunLength(s, n: n, into: &w)
            case .frameOfReference:
                writePFor(s, n: n, order: 0, p.pfor, into: &w)
            case .delta:
                w.writeVarInt(s[0])
                writePFor(s, n: n, order: 1, p.pfor, into: &w)
            case .deltaOfDelta:
                w.writeVarInt(s[0])
                w.writeVarInt(s[1] &- s[0])
                writePFor(s, n: n, order: 2, p.pfor, into: &w)
            case .grid:
                let g = p.grid!
                w.writeVarInt(s[0])
                w.writeVarUInt(UInt64(g.step))
                g.advances.withUnsafeBufferPointer {
                    writePFor($0.baseAddress!, n: n &- 1, order: 0, g.advancesPFor, into: &w)
                }
                g.offsets.withUnsafeBufferPointer {
                    writePFor($0.baseAddress!, n: n &- 1, order: 0, g.offsetsPFor, into: &w)
                }
            }
        }
        if p.gcd != 0 {
            p.scaled.withUnsafeBufferPointer { body($0.baseAddress!, &w) }
        } else {
            body(input.baseAddress!, &w)
        }
    }

    /// Exact size in bytes of the run-length section of `s`.
    static func runLengthBytes(_ s: UnsafePointer<Int64>, n: Int) -> Int {
        var bytes = 0
        var runs = 0
        var prevValue: Int64 = 0
        var start = 0
        while start < n {
            let v = s[start]
            var end = start &+ 1
            while end < n && s[end] == v { end &+= 1 }
            bytes &+= varUIntSize(ZigZag.encode(v &- prevValue)) &+ varUIntSize(UInt64(end &- start))
            runs &+= 1
            prevValue = v
            start = end
        }
        return bytes &+ varUIntSize(UInt64(runs))
    }

    static func writeRunLength(_ s: UnsafePointer<Int64>, n: Int, into w: inout ByteWriter) {
        var runs = 1
        for i in 1..<Swift.max(n, 1) where s[i] != s[i &- 1] { runs &+= 1 }
        w.writeVarUInt(UInt64(runs))
        var prevValue: Int64 = 0
        var start = 0
        while start < n {
            let v = s[start]
            var end = start &+ 1
            while end < n && s[end] == v { end &+= 1 }
            w.writeVarInt(v &- prevValue)
            w.writeVarUInt(UInt64(end &- start))
            prevValue = v
            start = end
        }
    }

    static func writePFor(_ s: UnsafePointer<Int64>, n: Int, order: Int, _ p: PForParams, into w: inout ByteWriter) {
        let m = n &- order
        let width = p.width
        let base = p.base
        w.writeUInt8(UInt8(width))
        w.writeVarInt(base)
        var exceptionPositions: [Int] = []
        var exceptionHighs: [Int64] = []
        let shift = UInt64(width)
        let mask = lowMask(width)
        let u = [UInt64](unsafeUninitializedCapacity: m) { buf, initialized in
            if width == 64 {
                for j in 0..<m { buf[j] = UInt64(bitPattern: element(s, order &+ j, order: order) &- base) }
            } else {
                for j in 0..<m {
                    let x = UInt64(bitPattern: element(s, order &+ j, order: order) &- base)
                    if x &>> shift != 0 {
                        exceptionPositions.append(j)
                        exceptionHighs.append(Int64(bitPattern: x) &>> Int64(shift))
                    }
                    buf[j] = x & mask
                }
            }
            initialized = m
        }
        let packedBytes = (m &* width &+ 7) / 8
        u.withUnsafeBufferPointer { src in
            w.appendWithUnsafeStorage(maxCount: packedBytes &+ 8) { dst in
                packBits(src.baseAddress!, count: m, width: width, into: dst)
            }
        }
        w.writeVarUInt(UInt64(exceptionPositions.count))
        var last = -1
        for k in 0..<exceptionPositions.count {
            let pos = exceptionPositions[k]
            w.writeVarUInt(UInt64(pos &- last &- 1))
            w.writeVarInt(exceptionHighs[k])
            last = pos
        }
    }

    // MARK: Reading

    /// Decodes `n` (>= 1) integers written by ``write(_:plan:into:)`` into 8-byte slots at `dst`.
    static func decode(_ r: inout ByteReader, count n: Int, into dst: UnsafeMutableRawPointer) throws(EncodingError) {
        precondition(n >= 1)
        let layoutAt = r.offset
        let layoutByte = try r.readUInt8()
        guard let layout = IntLayout(rawValue: layoutByte & ~intLayoutGCDFlag) else {
            throw r.error(.invalidTag, at: layoutAt, "unknown integer layout byte 0x\(String(layoutByte, radix: 16))")
        }
        var gcd: UInt64 = 0
        var ref: Int64 = 0
        if layoutByte & intLayoutGCDFlag != 0 {
            let at = r.offset
            gcd = try r.readVarUInt()
            guard gcd >= 2 else { throw r.error(.corrupt, at: at, "GCD \(gcd) < 2") }
            ref = try r.readVarInt()
        }
        switch layout {
        case .runLength:
            try readRunLength(&r, n: n, into: dst)
        case .frameOfReference:
            try readPFor(&r, m: n, into: dst)
        case .delta:
            guard n >= 2 else { throw r.error(.corrupt, at: layoutAt, "delta layout needs >= 2 values, have \(n)") }
            let first = try r.readVarInt()
            try readPFor(&r, m: n &- 1, into: dst + 8)
            dst.storeBytes(of: first, as: Int64.self)
            var acc = first
            for i in 1..<n {
                acc = acc &+ dst.load(fromByteOffset: i &* 8, as: Int64.self)
                dst.storeBytes(of: acc, toByteOffset: i &* 8, as: Int64.self)
            }
        case .deltaOfDelta:
            guard n >= 3 else {
                throw r.error(.corrupt, at: layoutAt, "delta-of-delta layout needs >= 3 values, have \(n)")
            }
            let first = try r.readVarInt()
            let firstDelta = try r.readVarInt()
            try readPFor(&r, m: n &- 2, into: dst + 16)
            dst.storeBytes(of: first, as: Int64.self)
            var acc = first &+ firstDelta
            dst.storeBytes(of: acc, toByteOffset: 8, as: Int64.self)
            var d = firstDelta
            for i in 2..<n {
                d = d &+ dst.load(fromByteOffset: i &* 8, as: Int64.self)
                acc = acc &+ d
                dst.storeBytes(of: acc, toByteOffset: i &* 8, as: Int64.self)
            }
        case .grid:
            guard n >= 2 else { throw r.error(.corrupt, at: layoutAt, "grid layout needs >= 2 values, have \(n)") }
            let first = try r.readVarInt()
            let step = try r.readVarUInt()
            try readPFor(&r, m: n &- 1, into: dst + 8)
            dst.storeBytes(of: first, as: Int64.self)
            var g = UInt64(bitPattern: first)
            for i in 1..<n {
                g = g &+ step &* dst.load(fromByteOffset: i &* 8, as: UInt64.self)
                dst.storeBytes(of: g, toByteOffset: i &* 8, as: UInt64.self)
            }
            try readPFor(&r, m: n &- 1, into: dst + 8, accumulate: true)
        }
        if gcd != 0 {
            let r0 = UInt64(bitPattern: ref)
            for i in 0..<n {
                let q = dst.load(fromByteOffset: i &* 8, as: UInt64.self)
                dst.storeBytes(of: r0 &+ gcd &* q, toByteOffset: i &* 8, as: UInt64.self)
            }
        }
    }

    static func readRunLength(_ r: inout ByteReader, n: Int, into dst: UnsafeMutableRawPointer) throws(EncodingError) {
        let runs = try r.readVarCount(max: n, "run count")
        guard runs >= 1 else { throw r.error(.corrupt, "run-length section with 0 runs for \(n) values") }
        var filled = 0
        var value: Int64 = 0
        for _ in 0..<runs {
            value = value &+ (try r.readVarInt())
            let at = r.offset
            let len = try r.readVarUInt()
            guard len >= 1, len <= UInt64(n &- filled) else {
                throw r.error(.corrupt, at: at, "run length \(len) with \(n &- filled) values left")
            }
            let end = filled &+ Int(len)
            while filled < end {
                dst.storeBytes(of: value, toByteOffset: filled &* 8, as: Int64.self)
                filled &+= 1
            }
        }
        guard filled == n else { throw r.error(.corrupt, "runs cover \(filled) values, expected \(n)") }
    }

    /// Reads a PFOR section of `m` values into 8-byte slots at `dst`; with `accumulate`, adds them to the slots
    /// instead (in chunks through a small stack buffer, so no allocation).
    static func readPFor(_ r: inout ByteReader, m: Int, into dst: UnsafeMutableRawPointer, accumulate: Bool = false)
        throws(EncodingError)
    {
        let widthAt = r.offset
        let width = Int(try r.readUInt8())
        guard width <= 64 else { throw r.error(.corrupt, at: widthAt, "bit width \(width) > 64") }
        let base = try r.readVarInt()
        let (bits, overflow) = m.multipliedReportingOverflow(by: width)
        guard !overflow else { throw r.error(.tooLarge, "packed section of \(m) x \(width) bits") }
        let packedBytes = (bits &+ 7) / 8
        let packed = try r.readBytes(count: packedBytes)
        let src = packed.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!
        let ub = UInt64(bitPattern: base)
        if accumulate {
            // 256 values of any width end on a byte boundary, so chunks unpack independently.
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 256) { tmp in
                let t = UnsafeMutableRawPointer(tmp.baseAddress!)
                var done = 0
                while done < m {
                    let k = Swift.min(256, m &- done)
                    let byteStart = done &* width / 8
                    let byteEnd = Swift.min(packedBytes, (done &+ k) &* width / 8 &+ 8)
                    unpackBits(src + byteStart, byteCount: byteEnd &- byteStart, count: k, width: width, into: t)
                    for i in 0..<k {
                        let o = (done &+ i) &* 8
                        let x = dst.load(fromByteOffset: o, as: UInt64.self)
                        dst.storeBytes(of: x &+ ub &+ tmp[i], toByteOffset: o, as: UInt64.self)
                    }
                    done &+= k
                }
            }
        } else {
            unpackBits(src, byteCount: packedBytes, count: m, width: width, into: dst)
            if ub != 0 {
                for i in 0..<m {
                    let x = dst.load(fromByteOffset: i &* 8, as: UInt64.self)
                    dst.storeBytes(of: x &+ ub, toByteOffset: i &* 8, as: UInt64.self)
                }
            }
        }
        let countAt = r.offset
        let exceptions = try r.readVarCount(max: m, "exception count")
        guard exceptions == 0 || width < 64 else {
            throw r.error(.corrupt, at: countAt, "exceptions in a 64-bit-wide section")
        }
        var pos = -1
        let shift = UInt64(width)
        for _ in 0..<exceptions {
            let at = r.offset
            let gap = try r.readVarUInt()
            guard gap < UInt64(m &- pos &- 1) else {
                throw r.error(.corrupt, at: at, "exception position past the end of \(m) values")
            }
            pos = pos &+ 1 &+ Int(gap)
            let high = UInt64(bitPattern: try r.readVarInt())
            let x = dst.load(fromByteOffset: pos &* 8, as: UInt64.self)
            dst.storeBytes(of: x &+ (high &<< shift), toByteOffset: pos &* 8, as: UInt64.self)
        }
    }
}
