import Testing
import TallyStorage

@Suite("time arithmetic")
struct TimeArithmeticTests {
    /// A time moved by a duration is exact where it fits and stops at the ends of `Int64` where it does not.
    @Test func shiftsStopAtTheEnds() {
        #expect(timeShift(1_000, by: 234) == 1_234 && timeShift(1_000, by: -1_234) == -234)
        #expect(timeShift(-5, by: 3) == -2 && timeShift(5, by: -3) == 2)
        #expect(timeShift(.max - 1, by: 1) == .max && timeShift(.max - 1, by: 2) == .max)
        #expect(timeShift(.max, by: .max) == .max && timeShift(.min, by: .min) == .min)
        #expect(timeShift(.min + 1, by: -1) == .min && timeShift(.min + 1, by: -2) == .min)
        #expect(timeShift(.max, by: .min) == -1 && timeShift(.min, by: .max) == -1)
        #expect(timeShift(.max, by: 0) == .max && timeShift(.min, by: 0) == .min)

        #expect(timeShift(1_000, back: 234) == 766 && timeShift(1_000, back: -234) == 1_234)
        #expect(timeShift(.min + 1, back: 1) == .min && timeShift(.min + 1, back: 2) == .min)
        #expect(timeShift(.max - 1, back: -2) == .max && timeShift(0, back: .min) == .max)
        #expect(timeShift(-1, back: .min) == .max && timeShift(-2, back: .min) == .max - 1)
        #expect(timeShift(.max, back: .max) == 0 && timeShift(.min, back: .min) == 0)
        #expect(timeShift(.min, back: .max) == .min && timeShift(.max, back: .min) == .max)
    }

    /// The gap between two times is exact where it fits (also with mixed signs) and stops at the ends of `Int64`.
    @Test func gapsStopAtTheEnds() {
        #expect(timeGap(5, 3) == 2 && timeGap(3, 5) == -2 && timeGap(7, 7) == 0)
        #expect(timeGap(1_000, -1_000) == 2_000 && timeGap(-1_000, 1_000) == -2_000)
        #expect(timeGap(.max, .min) == .max && timeGap(.min, .max) == .min)
        #expect(timeGap(.max, -1) == .max && timeGap(.max - 1, -1) == .max)
        #expect(timeGap(-1, .min) == .max && timeGap(0, .min) == .max && timeGap(-2, .min) == .max - 1)
        #expect(timeGap(.min, 1) == .min && timeGap(.min + 1, 1) == .min && timeGap(.min + 1, 2) == .min)
        #expect(timeGap(.max, 0) == .max && timeGap(.min, 0) == .min && timeGap(.min, -1) == .min + 1)
        #expect(timeGap(.max, .max) == 0 && timeGap(.min, .min) == 0)
    }

    /// 128-bit floor division rounds towards negative infinity for every sign, also where 64 bits overflow.
    @Test func floorDivisionInWideIntegers() {
        func floorDiv(_ a: Int128, _ b: Int128) -> Int128 { CivilCalendar.floorDiv(a, b) }
        #expect(floorDiv(7, 2) == 3 && floorDiv(-7, 2) == -4 && floorDiv(7, -2) == -4 && floorDiv(-7, -2) == 3)
        #expect(floorDiv(6, 2) == 3 && floorDiv(-6, 2) == -3 && floorDiv(6, -2) == -3 && floorDiv(-6, -2) == 3)
        #expect(floorDiv(0, 5) == 0 && floorDiv(0, -5) == 0 && floorDiv(-1, 5) == -1 && floorDiv(1, -5) == -1)
        #expect(floorDiv(-1, 86_400_000) == -1 && floorDiv(-86_400_000, 86_400_000) == -1)
        #expect(floorDiv(-86_400_001, 86_400_000) == -2)
        let min = Int128(Int64.min), max = Int128(Int64.max)
        #expect(floorDiv(min, -1) == max + 1 && floorDiv(min, 1) == min && floorDiv(max, -1) == -max)
        #expect(floorDiv(min, 2) == min / 2 && floorDiv(min + 1, 2) == min / 2 && floorDiv(max, 2) == max / 2)
        #expect(floorDiv(min, max) == -2 && floorDiv(max, min) == -1 && floorDiv(min, min) == 1)
        // The first time less an origin, in 7-day weeks from Monday 1970-01-05 (what Int64 cannot subtract).
        let week: Int128 = 7 * 86_400_000, monday: Int128 = 4 * 86_400_000
        let first = floorDiv(min - monday, week)
        #expect(first * week + monday <= min && (first + 1) * week + monday > min)
        #expect(floorDiv(max - monday, week) == (max - monday) / week)
        // It agrees with the 64-bit floor division wherever that one holds.
        for (a, b) in [(Int64(-7), Int64(3)), (7, 3), (-9, 3), (Int64.min + 1, 1_000), (Int64.max, 86_400_000)] {
            #expect(floorDiv(Int128(a), Int128(b)) == Int128(CivilCalendar.floorDiv(a, b)), "\(a) / \(b)")
        }
    }
}
