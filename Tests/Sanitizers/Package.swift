// swift-tools-version: 6.1
import PackageDescription

// The storage and encoding tests on their own, for sanitizer runs (docs/reliability.md): the whole test build
// would also compile SwiftNIO and Hummingbird under ThreadSanitizer/AddressSanitizer, which the storage and
// encoding tests do not need. The three folders are symbolic links to the suite's own test sources.
//
//   swift build --build-tests --sanitize=thread --package-path Tests/Sanitizers --scratch-path .build-tsan
//   swift test --skip-build --sanitize=thread --package-path Tests/Sanitizers --scratch-path .build-tsan
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "TallySanitizers",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "tally", path: "../..")],
    targets: [
        .target(name: "TallyTestSupport", dependencies: [.product(name: "Tally", package: "tally"),
                                                         .product(name: "TallyAnalysis", package: "tally")],
                path: "TallyTestSupport", swiftSettings: strictSettings),
        .testTarget(name: "TallyEncodingTests", dependencies: [.product(name: "Tally", package: "tally")],
                    path: "TallyEncodingTests", swiftSettings: strictSettings),
        .testTarget(name: "TallyStorageTests", dependencies: ["TallyTestSupport", .product(name: "Tally", package: "tally")],
                    path: "TallyStorageTests", exclude: ["Fixtures"], swiftSettings: strictSettings),
    ]
)
