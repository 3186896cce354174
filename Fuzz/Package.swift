// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for Tally's readers of untrusted text: one executable per input kind. Build and run with
// Fuzz/run.sh (docs/reliability.md); they need `-sanitize=fuzzer`, so `swift build` alone does not link them.
let package = Package(
    name: "TallyFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "tally", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzQuery", dependencies: ["FuzzDriver", .product(name: "Tally", package: "tally")]),
        .executableTarget(name: "FuzzCSV", dependencies: ["FuzzDriver", .product(name: "Tally", package: "tally")]),
        .executableTarget(name: "FuzzSoda", dependencies: ["FuzzDriver", .product(name: "Tally", package: "tally")]),
        .executableTarget(name: "FuzzJSONPoints", dependencies: ["FuzzDriver", .product(name: "Tally", package: "tally")]),
        .executableTarget(name: "FuzzDumpLoad", dependencies: ["FuzzDriver", .product(name: "Tally", package: "tally")]),
    ]
)
