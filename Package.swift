// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Unravel",
    products: [
        .library(name: "HDF5", targets: ["HDF5"]),
        .library(name: "Nets", targets: ["Nets"]),
        .library(name: "Analysis", targets: ["Analysis"]),
        .executable(name: "lesion", targets: ["lesion"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Layer 1: the HDF5 C library and a safe Swift face over it.
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev", "pkg-config"])]
        ),
        .target(name: "HDF5", dependencies: ["CHDF5"]),

        // Layer 2: oneDNN through a version-neutral C shim, then the networks.
        .target(
            name: "CDNNL",
            linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]
        ),
        .target(name: "Nets", dependencies: ["HDF5", "CDNNL"]),

        // Layer 3: experiments, probes and result files.
        .target(name: "Analysis", dependencies: ["Nets", "HDF5"]),

        // Layer 4: the command-line tool.
        .executableTarget(
            name: "lesion",
            dependencies: [
                "Analysis", "Nets", "HDF5",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "CHDF5"], exclude: ["Fixtures"]),
        .testTarget(name: "NetsTests", dependencies: ["Nets", "HDF5", "CDNNL"], exclude: ["Fixtures"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Nets", "HDF5"], exclude: ["Fixtures"]),
        .testTarget(name: "lesionTests", dependencies: ["lesion", "Analysis", "HDF5"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
