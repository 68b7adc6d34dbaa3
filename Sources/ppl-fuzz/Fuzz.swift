import Foundation
import PPLDriver
import PPLSema
import PPLSyntax

/// Fuzz targets for libFuzzer (issue 18): whatever the bytes, ppl answers with diagnostics
/// or an error, never a trap, a hang or a memory error.
///
/// - `frontend`: the bytes as a model — parse, check, lower, vectorise, print the IR, and
///   differentiate it (the gradient and the Hessian-vector product programs);
/// - `data`: the bytes as the data file (Stan JSON, or NumPy's .npz or .npy) of a model that
///   declares every kind of data (sizes, bounded ints and reals, vectors, matrices, a simplex,
///   a covariance matrix, arrays of vectors), loaded, checked and turned into transformed data.
///
/// Built with `-DPPL_FUZZ` and `-sanitize=fuzzer,address` (`scripts/fuzz`), the program is
/// libFuzzer's driver on the target `PPL_FUZZ_TARGET` names. Built plainly, the
/// program runs a target over files (`ppl-fuzz frontend FILE...`): the corpus replayed as
/// regression cases, as the tests do.
enum FuzzTarget: String, CaseIterable {
    case frontend, data

    func run(_ bytes: [UInt8]) {
        switch self {
        case .frontend: FuzzTarget.frontEnd(bytes)
        case .data: FuzzTarget.dataFile(bytes)
        }
    }

    static func frontEnd(_ bytes: [UInt8]) {
        let compiled = Compilation.compile(file: SourceFile(path: "fuzz.ppl", text: String(decoding: bytes, as: UTF8.self)))
        guard let model = compiled.model else {
            _ = compiled.renderDiagnostics(color: false)
            return
        }
        _ = Reports.ir(model)
        let programs = DerivedPrograms(model: model)
        _ = try? programs.gradient()
        _ = try? programs.hessianVector()
    }

    /// The model whose data the `data` target reads.
    static let dataModel: CheckedModel? = Compilation.compile(file: SourceFile(path: "fuzz-data.ppl", text: """
        data N: int<lower=0>
        data K: int<lower=1, upper=4>
        data y: vector[N]
        data counts: array[N] int<lower=0>
        data X: matrix[N, K]
        data theta: simplex[K]
        data Sigma: cov_matrix[K]
        data lo: real
        data hi: real<lower=lo>
        data groups: array[N] vector[K]
        data w: vector<lower=lo, upper=hi>[K]
        let total = sum(counts) + N * K
        let scaled = y / (1 + N)
        param mu: real
        mu ~ normal(0, 1)
        """)).model

    static func dataFile(_ bytes: [UInt8]) {
        guard let model = dataModel else { fatalError("the data target's model does not check") }
        _ = try? ModelRuntime(model: model, contents: bytes, file: "fuzz-data")
    }
}

#if PPL_FUZZ
import CFuzzer

/// libFuzzer's driver, on the target `PPL_FUZZ_TARGET` names (default frontend).
@main
struct Fuzz {
    nonisolated(unsafe) static var target = FuzzTarget.frontend

    static func main() {
        target = ProcessInfo.processInfo.environment["PPL_FUZZ_TARGET"].flatMap(FuzzTarget.init) ?? .frontend
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            Fuzz.target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        })
    }
}
#else
/// The targets replayed over files: `ppl-fuzz frontend|data FILE...`.
@main
struct Replay {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        guard let name = args.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: ppl-fuzz frontend|data FILE...\n".utf8))
            exit(64)
        }
        for path in args.dropFirst() {
            guard let contents = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("ppl-fuzz: cannot read '\(path)'\n".utf8))
                exit(66)
            }
            target.run([UInt8](contents))
        }
        print("\(args.count - 1) inputs, no crash")
    }
}
#endif
