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
        // zlib, for gzip-compressed data sets (IDX .gz); already present as a dependency of libzip-dev.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        // protobuf-c code generated from schemas/onnx.proto by scripts/gen-protobuf.sh (committed).
        .target(name: "COnnxProto", dependencies: ["CProtobufC"],
                cSettings: [.unsafeFlags(["-Wno-everything"])]),

        // Linux calls glibc hides behind _GNU_SOURCE (copy_file_range).
        .target(name: "CPareSys"),
        .target(name: "PareCore", dependencies: ["CPareSys"], swiftSettings: strict),
        .target(name: "PareIR", dependencies: ["PareCore"], swiftSettings: strict),
        // AVX-512 kernels for shifted-tap convolutions (C for its target attributes and intrinsics).
        .target(name: "CPareKernels"),
        .target(name: "PareKernels", dependencies: ["PareCore", "CBLAS", "CPareKernels"], swiftSettings: strict),
        // The engine's dense tensor (float32/int64/bool) and its conversion from ONNX tensors.
        .target(name: "PareEngine", dependencies: ["PareCore", "PareIR", "PareKernels"], swiftSettings: strict),
        // The executor: ONNX graph → folded, fused plan per input shape, run on PareKernels.
        // … and the training session (autograd over the same ops), loop and checkpoints.
        .target(name: "PareRuntime", dependencies: ["PareCore", "PareIR", "PareEngine", "PareKernels", "PareONNX",
                                                    "PareTrain", "PareData", "PareSafetensors"],
                swiftSettings: strict),
        .target(name: "PareONNX", dependencies: ["PareCore", "PareIR", "COnnxProto", "CProtobufC"],
                swiftSettings: strict),
        .target(name: "PareCheck", dependencies: ["PareCore", "PareIR", "PareONNX"], swiftSettings: strict),
        // Channel dependency graph (docs/architecture.md): coupled channel groups over (value, axis) slots.
        .target(name: "PareDepGraph", dependencies: ["PareCore", "PareIR"], swiftSettings: strict),
        // Structured pruning: importance criteria, plans, physical removal as IR patches.
        .target(name: "ParePrune", dependencies: ["PareCore", "PareIR", "PareDepGraph", "PareONNX", "PareCheck"],
                swiftSettings: strict),
        // Training data (docs/architecture.md): IDX, npz and CIFAR data sets, augmentation, batches.
        .target(name: "PareData", dependencies: ["PareCore", "PareNumPy", "CZlib"], swiftSettings: strict),
        // Optimizers, learning-rate schedules (and, with the engine, the training loop).
        .target(name: "PareTrain", dependencies: ["PareCore"], swiftSettings: strict),
        .target(name: "PareFormats", dependencies: ["PareCore", "PareIR", "PareONNX", "PareSafetensors", "PareTorch", "PareNumPy", "CZip"],
                swiftSettings: strict),
        .target(name: "PareSafetensors", dependencies: ["PareCore"], swiftSettings: strict),
        .target(name: "PareNumPy", dependencies: ["PareCore", "CZip"], swiftSettings: strict),
        // PyTorch zip checkpoints: a non-executing pickle machine and an aligned stored-ZIP writer.
        .target(name: "PareTorch", dependencies: ["PareCore", "CZip"], swiftSettings: strict),
        .executableTarget(
            name: "pare",
            dependencies: ["PareCore", "PareIR", "PareONNX", "PareCheck", "PareFormats", "PareKernels",
                           "PareDepGraph", "ParePrune", "PareEngine", "PareRuntime", "PareNumPy", "PareTrain", "PareData",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),

        // Benchmarks (bench/README.md): executables timed against their peers by a driver script.
        .executableTarget(name: "onnx-io-bench", dependencies: ["PareCore", "PareONNX"], path: "bench/onnx_io",
                          exclude: ["run.py"], swiftSettings: strict),
        .executableTarget(name: "safetensors-bench", dependencies: ["PareCore", "PareSafetensors"],
                          path: "bench/weights_io", exclude: ["safetensors_load.py", "convert_pt.py"], swiftSettings: strict),
        // Seeded mutation fuzzers (fuzz/README.md) and what they share.
        .target(name: "FuzzSupport", dependencies: ["PareCore"], path: "fuzz/support", swiftSettings: strict),
        .executableTarget(name: "onnx-fuzz", dependencies: ["FuzzSupport", "PareCore", "PareIR", "PareONNX", "PareCheck"],
                          path: "fuzz/onnx_reader", swiftSettings: strict),
        // Seeded mutation fuzzers for the safetensors header/reader and the .npy header/reader.
        .executableTarget(name: "safetensors-header-fuzz", dependencies: ["FuzzSupport", "PareCore", "PareSafetensors"],
                          path: "fuzz/safetensors_header", swiftSettings: strict),
        .executableTarget(name: "npy-header-fuzz", dependencies: ["FuzzSupport", "PareCore", "PareNumPy"],
                          path: "fuzz/npy_header", swiftSettings: strict),
        // Seeded mutation fuzzer for the pickle machine and the checkpoint reader (fuzz/pickle).
        .executableTarget(name: "pickle-fuzz", dependencies: ["FuzzSupport", "PareCore", "PareTorch"],
                          path: "fuzz/pickle", swiftSettings: strict),

        // Helpers shared by test targets (scratch folders, the Python oracle, rule ids of errors).
        .target(name: "PareTestSupport", dependencies: ["PareCore", "PareIR"], path: "Tests/PareTestSupport", swiftSettings: strict),
        .testTarget(name: "PareCoreTests", dependencies: ["PareCore", "PareTestSupport"], swiftSettings: strict),
        .testTarget(name: "PareONNXTests", dependencies: ["PareCore", "PareIR", "PareONNX"],
                    swiftSettings: strict),
        .testTarget(name: "PareCheckTests", dependencies: ["PareCore", "PareIR", "PareONNX", "PareCheck"],
                    swiftSettings: strict),
        .testTarget(name: "PareIRTests", dependencies: ["PareCore", "PareIR", "PareONNX"], swiftSettings: strict),
        .testTarget(name: "PareKernelsTests", dependencies: ["PareCore", "PareKernels"], swiftSettings: strict),
        .testTarget(name: "PareRuntimeTests", dependencies: ["PareCore", "PareIR", "PareEngine", "PareKernels", "PareRuntime", "PareTestSupport",
                                                             "PareTrain", "PareData"],
                    swiftSettings: strict),
        .testTarget(name: "PareFormatsTests", dependencies: ["PareFormats"], swiftSettings: strict),
        .testTarget(name: "PareSafetensorsTests", dependencies: ["PareCore", "PareSafetensors", "PareTestSupport"], exclude: ["Fixtures"],
                    swiftSettings: strict),
        .testTarget(name: "PareNumPyTests", dependencies: ["PareCore", "PareNumPy", "PareTestSupport"], exclude: ["Fixtures"],
                    swiftSettings: strict),
        .testTarget(name: "PareDepGraphTests", dependencies: ["PareCore", "PareIR", "PareONNX", "PareDepGraph", "PareTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "ParePruneTests", dependencies: ["PareCore", "PareIR", "PareONNX", "PareDepGraph", "ParePrune", "PareTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "PareDataTests", dependencies: ["PareCore", "PareData", "PareTestSupport"], swiftSettings: strict),
        .testTarget(name: "PareTrainTests", dependencies: ["PareTrain"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "PareTorchTests", dependencies: ["PareCore", "PareTorch"], swiftSettings: strict),
    ]
)
