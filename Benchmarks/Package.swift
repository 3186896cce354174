// swift-tools-version: 6.1
import Foundation
import PackageDescription

// The benchmark harness is its own package, so `swift build` and `swift test` at the root never compile it.
//
// A path dependency's identity is its (lower-cased) directory name, which differs between checkouts (CI clones
// into another folder), so derive it from this manifest's location instead of hard-coding it.
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "tally-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tally-bench", targets: ["TallyBench"]),
        .executable(name: "tally-nab", targets: ["TallyNAB"]),
    ],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "TallyBench",
            dependencies: [
                "CBenchSupport",
                .product(name: "Tally", package: rootIdentity),
                .product(name: "TallyAnalysis", package: rootIdentity),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        ),
        // The C library's allocator statistics (mallinfo2), for the index-memory figures.
        .target(name: "CBenchSupport"),
        // Scores the anomaly detectors on the Numenta Anomaly Benchmark (docs/anomaly-detection.md).
        .executableTarget(
            name: "TallyNAB",
            dependencies: [.product(name: "TallyAnalysis", package: rootIdentity)]
        ),
    ]
)
