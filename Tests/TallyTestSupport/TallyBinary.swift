import Foundation

/// The `tally` executable built beside the test bundle (for tests that run the binary).
public var tallyBinary: String {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [bundleDirectory.appendingPathComponent("tally").path]
    // Under `swift test` the test bundle runs from <build>/<config>/tallyPackageTests.xctest.
    candidates.append(bundleDirectory.deletingLastPathComponent().appendingPathComponent("tally").path)
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/tally").path)
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
}
