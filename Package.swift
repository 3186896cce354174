// swift-tools-version: 6.1
import PackageDescription

/// Settings every Swift target of Tally compiles with.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tally",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Tally", targets: ["Tally"]),
        .library(name: "TallyAnalysis", targets: ["TallyAnalysis"]),
        .executable(name: "tally", targets: ["TallyCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // Layer 0: C libraries and kernels.
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CTallyKernels"),

        // Layer 1: encoding.
        .target(name: "TallyEncoding", dependencies: ["CLZ4", "CTallyKernels"], swiftSettings: strictSettings),

        // Layer 2: engines.
        .target(name: "TallyStorage", dependencies: ["TallyEncoding", "CSQLite"], swiftSettings: strictSettings),
        .target(name: "TallyAnalysis", swiftSettings: strictSettings),

        // Layer 3: features.
        .target(name: "TallyQuery", dependencies: ["TallyStorage", "TallyEncoding"], swiftSettings: strictSettings),
        .target(name: "TallySoda", dependencies: ["TallyStorage"], swiftSettings: strictSettings),
        .target(name: "TallyCharts", dependencies: ["TallyStorage", "TallyQuery", "TallyAnalysis"], swiftSettings: strictSettings),

        // Layer 4: the library facade.
        .target(
            name: "Tally",
            dependencies: ["TallyStorage", "TallyQuery", "TallySoda", "TallyAnalysis", "TallyCharts"],
            swiftSettings: strictSettings
        ),

        // Layer 5: surfaces.
        .target(
            name: "TallyServer",
            dependencies: ["Tally", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdCore", package: "hummingbird"),
                           .product(name: "HummingbirdTLS", package: "hummingbird"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "TallyCLI",
            dependencies: ["Tally", "TallyServer", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),

        // Tests.
        // zlib, to decode the PNG screenshots of the dashboard's browser tests.
        .systemLibrary(name: "CZlib", path: "Tests/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "TallyTestSupport", dependencies: ["Tally", "TallyAnalysis"], path: "Tests/TallyTestSupport",
                swiftSettings: strictSettings),
        .testTarget(name: "TallyEncodingTests", dependencies: ["TallyEncoding"], swiftSettings: strictSettings),
        .testTarget(name: "TallyStorageTests", dependencies: ["TallyStorage", "TallyTestSupport", "CSQLite"],
                    exclude: ["Fixtures"], swiftSettings: strictSettings),
        .testTarget(name: "TallyAnalysisTests", dependencies: ["TallyAnalysis"], swiftSettings: strictSettings),
        .testTarget(name: "TallyQueryTests", dependencies: ["TallyQuery", "TallyStorage", "TallyEncoding", "TallyTestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "TallyChartsTests", dependencies: ["TallyCharts", "TallyTestSupport"],
                    exclude: ["Golden"], swiftSettings: strictSettings),
        .testTarget(name: "TallySodaTests", dependencies: ["TallySoda", "TallyTestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "TallyTests", dependencies: ["Tally", "TallyTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "TallyServerTests",
            dependencies: ["TallyServer", "TallyCLI", "TallyTestSupport", "CZlib", "CSQLite", .product(name: "Logging", package: "swift-log")],
            exclude: ["soda-e2e", "tls"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TallyCLITests",
            dependencies: ["TallyCLI", "TallyTestSupport",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
    ]
)
