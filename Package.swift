// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ppl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ppl", targets: ["ppl"]),
        .executable(name: "ppl-bench", targets: ["ppl-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Pipeline stages; each depends only on the ones before it.
        .target(name: "PPLSyntax"),
        .target(name: "PPLIR"),
        .target(name: "PPLSema", dependencies: ["PPLSyntax", "PPLIR"]),
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CEditline", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Elementwise kernels vectorised with glibc's libmvec (see kernels.c).
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])],
            linkerSettings: [.linkedLibrary("mvec"), .linkedLibrary("m")]
        ),
        // PNG files of image grids, by libpng (libpng-dev).
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png")]),
        // Open MPI for a sharded fit, loaded at run time (see ppl_mpi.h): nothing to build against.
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "PPLDiff", dependencies: ["PPLIR"]),
        // The executor and its kernels stay in one target so the optimiser sees them whole.
        .target(name: "PPLEngine", dependencies: ["PPLIR", "COpenBLAS", "CKernels"]),
        .target(name: "PPLInference", dependencies: ["PPLSyntax", "PPLIR", "PPLSema", "PPLDiff", "PPLEngine", "CKernels", "COpenBLAS"]),
        .target(name: "PPLDriver", dependencies: ["PPLSyntax", "PPLIR", "PPLSema", "PPLDiff", "PPLEngine", "PPLInference", "COpenBLAS", "CZlib", "CPNG", "CMPI"],
                plugins: ["BuildCommit"]),
        // Records the git commit of each build for `ppl --version` (Sources/PPLDriver/Version.swift).
        .plugin(name: "BuildCommit", capability: .buildTool()),
        // The interactive session: model editing, completion, settings, the ELBO plot.
        .target(name: "PPLRepl", dependencies: ["PPLSyntax", "PPLIR", "PPLSema", "PPLInference", "PPLDriver"]),
        .executableTarget(
            name: "ppl",
            dependencies: [
                "PPLDriver", "PPLRepl", "PPLInference", "PPLSema", "PPLSyntax", "CEditline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "ppl-bench",
            dependencies: [
                "PPLDriver", "PPLEngine", "PPLInference", "PPLSema", "PPLSyntax",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer targets over the front end and the data loader (scripts/fuzz); built
        // plainly, a replay of files through them.
        .systemLibrary(name: "CFuzzer"),
        .executableTarget(name: "ppl-fuzz", dependencies: ["PPLDriver", "PPLSema", "PPLSyntax", "CFuzzer"]),
        .testTarget(name: "PPLSyntaxTests", dependencies: ["PPLSyntax"]),
        .testTarget(name: "PPLIRTests", dependencies: ["PPLIR"]),
        .testTarget(name: "PPLEngineTests", dependencies: ["PPLSyntax", "PPLIR", "PPLDiff", "PPLEngine", "PPLSema", "PPLDriver", "PPLInference"]),
        .testTarget(name: "PPLSemaTests", dependencies: ["PPLSyntax", "PPLIR", "PPLSema", "PPLDriver"]),
        // Runs the ppl binary as a user would, for the CLI's and the REPL's tests.
        .target(name: "CLITestSupport", path: "Tests/CLITestSupport"),
        .testTarget(name: "PPLDriverTests", dependencies: ["PPLDriver", "PPLInference", "PPLSema", "PPLSyntax", "CLITestSupport", "ppl",
                                                           "ppl-fuzz"]),
        .testTarget(name: "PPLReplTests", dependencies: ["PPLRepl", "PPLDriver", "CLITestSupport", "ppl"]),
        .testTarget(name: "PPLInferenceTests", dependencies: ["PPLInference", "PPLEngine", "PPLDriver", "ppl-bench"]),
    ]
)
