import Foundation

/// Files in the project's `shared/` folder (fixtures, data sets), found by walking up from this file: the first
/// ancestor `A` with `A/shared/<path>` wins — `<repo>/../shared` in a checkout and in CI.
public enum SharedData {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// The absolute path of `shared/<relative>`.
    public static func path(_ relative: String) throws -> String {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("shared").appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        throw Missing(description: "shared/\(relative) not found above \(#filePath)")
    }

    /// The bytes of `shared/<relative>`.
    public static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try path(relative))))
    }
}
