import Foundation
import Testing
import TallyAnalysis

/// The NAB data folder: `<repo root>/../shared/data/nab` (or one level further up for the helper package).
let nabDirectory: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    for up in ["../shared/data/nab", "../../shared/data/nab"] {
        let path = root.appendingPathComponent(up).standardized.path
        if FileManager.default.fileExists(atPath: path + "/labels/combined_windows.json") { return path }
    }
    print("NAB data not found beside the repository (<repo root>/../shared/data/nab): skipping NAB validation")
    return nil
}()

@Suite struct NABScorerTests {
    @Test func timestampsParseAsUTC() {
        #expect(NABData.parseTimestamp("1970-01-01 00:00:00") == 0)
        #expect(NABData.parseTimestamp("2014-04-10 07:15:00.000000") == 1_397_114_100_000)
        #expect(NABData.parseTimestamp("2000-02-29 12:00:00.5") == 951_825_600_500)
        #expect(NABData.parseTimestamp("garbage") == nil)
    }

    @Test func scoringRulesOnASmallFile() {
        // 1,000 rows: probation 150 rows; one window over rows 400…499.
        let windows = [400...499]
        func file(_ detections: [Int]) -> NABFile {
            var scores = Array(repeating: 0.0, count: 1_000)
            for d in detections { scores[d] = 1 }
            return NABFile(name: "f", count: 1_000, windows: windows, scores: scores)
        }
        #expect(abs(NABScorer.rawScore(file([400]), threshold: 1) - 1) < 1e-12, "window start earns 1")
        #expect(NABScorer.rawScore(file([]), threshold: 1) == -1, "a miss costs 1")
        #expect(NABScorer.rawScore(file([100]), threshold: 1) == -1, "probation is not scored")
        #expect(abs(NABScorer.rawScore(file([300]), threshold: 1) - (-1 - 0.11)) < 1e-12, "a false positive costs 0.11")
        let late = NABScorer.rawScore(file([499]), threshold: 1)
        #expect(late > -0.01 && late < 0.05, "the window's last row earns about 0")
        let afterWindow = NABScorer.rawScore(file([400, 510]), threshold: 1)
        #expect(afterWindow < 1 && afterWindow > 1 - 0.11, "a false positive right after a window costs less")
        #expect(NABScorer.rawScore(file([400, 420, 450]), threshold: 1) == NABScorer.rawScore(file([400]), threshold: 1))
        #expect(NABScorer.normalized(rawScore: 1, windowCount: 1) == 100)
        #expect(NABScorer.normalized(rawScore: -1, windowCount: 1) == 0)
        let best = NABScorer.optimizeThreshold([file([400])])
        #expect(best.threshold == 1 && abs(best.rawScore - 1) < 1e-12)
    }

    @Test(.enabled(if: nabDirectory != nil))
    func publishedTwitterADVecScores47_06() throws {
        let dir = nabDirectory!
        let windowText = try String(contentsOfFile: dir + "/labels/combined_windows.json", encoding: .utf8)
        let windows = NABData.parseWindows(windowText)
        #expect(windows.count == 58 && windows.values.reduce(0) { $0 + $1.count } == 116)
        var files: [NABFile] = []
        for (key, spans) in windows {
            let parts = key.split(separator: "/")
            let path = "\(dir)/published-results/twitterADVec/\(parts[0])/twitterADVec_\(parts[1])"
            let (times, columns) = NABData.parseCSV(try String(contentsOfFile: path, encoding: .utf8))
            files.append(NABFile(name: key, count: times.count, windows: NABData.windowRows(times: times, windows: spans),
                                 scores: columns[1]))
        }
        let best = NABScorer.optimizeThreshold(files)
        let score = NABScorer.normalized(rawScore: best.rawScore, windowCount: files.reduce(0) { $0 + $1.windowCount })
        #expect((score * 100).rounded() / 100 == 47.06)
    }
}
