// swift-tools-version:6.0
// libFuzzer harnesses over Unravel's file readers (`make fuzz`; not part of `make test`).
// Each harness is an executable whose main is libFuzzer's, so it is built only with
// `swift build --sanitize=fuzzer` (see scripts/fuzz), in this package apart from the main one.
import Foundation
import PackageDescription

// The main package's identity is its folder's name, whatever the clone is called.
let unravel = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()
let harness: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "UnravelFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "HDF5", package: unravel)]),
        .executableTarget(name: "FuzzModelFile", dependencies: ["FuzzSupport", .product(name: "Nets", package: unravel)],
                          swiftSettings: harness),
        .executableTarget(name: "FuzzKeras", dependencies: ["FuzzSupport", .product(name: "Nets", package: unravel)],
                          swiftSettings: harness),
        .executableTarget(name: "FuzzDataset", dependencies: ["FuzzSupport", .product(name: "Nets", package: unravel)],
                          swiftSettings: harness),
        .executableTarget(name: "FuzzResults", dependencies: ["FuzzSupport", .product(name: "Analysis", package: unravel)],
                          swiftSettings: harness),
        .executableTarget(name: "FuzzCaffe", dependencies: ["FuzzSupport", .product(name: "Nets", package: unravel)],
                          swiftSettings: harness),
    ],
    swiftLanguageModes: [.v6]
)
