// swift-tools-version: 6.1
// Pare: model-format conversion and model surgery. Module layering follows docs/architecture.md:
// C shims (layer -1) < PareCore < PareIR/PareKernels < PareONNX/PareCheck < PareFormats < pare CLI.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Pare",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pare", targets: ["pare"]),
        .library(name: "PareONNX", targets: ["PareONNX"]),
        .library(name: "PareCheck", targets: ["PareCheck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System libraries from Debian, each wrapped once.
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c",
                       providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CZip", pkgConfig: "libzip", providers: [.apt(["libzip-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        // protobuf-c code generated from schemas/onnx.proto by scripts/gen-protobuf.sh (committed).
        .target(name: "COnnxProto", dependencies: ["CProtobufC"],
                cSettings: [.unsafeFlags(["-Wno-everything"])]),

        .target(name: "PareCore", swiftSettings: strict),
        .target(name: "PareIR", dependencies: ["PareCore"], swiftSettings: strict),
        .target(name: "PareKernels", dependencies: ["PareCore", "CBLAS"], swiftSettings: strict),
        .target(name: "PareONNX", dependencies: ["PareCore", "PareIR", "COnnxProto", "CProtobufC"],
                swiftSettings: strict),
        .target(name: "PareCheck", dependencies: ["PareCore", "PareIR", "PareONNX"], swiftSettings: strict),
        .target(name: "PareFormats", dependencies: ["PareCore", "CZip"], swiftSettings: strict),
        .executableTarget(
            name: "pare",
            dependencies: ["PareCore", "PareIR", "PareONNX", "PareCheck", "PareFormats", "PareKernels",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),

        .testTarget(name: "PareCoreTests", dependencies: ["PareCore"], swiftSettings: strict),
        .testTarget(name: "PareONNXTests", dependencies: ["PareCore", "PareIR", "PareONNX"],
                    swiftSettings: strict),
        .testTarget(name: "PareCheckTests", dependencies: ["PareCore", "PareIR", "PareONNX", "PareCheck"],
                    swiftSettings: strict),
        .testTarget(name: "PareKernelsTests", dependencies: ["PareKernels"], swiftSettings: strict),
        .testTarget(name: "PareFormatsTests", dependencies: ["PareFormats"], swiftSettings: strict),
    ]
)
