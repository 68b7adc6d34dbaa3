import CKernels
import Foundation
import PPLDiff
import PPLEngine
import PPLIR

/// Runs Stein variational gradient descent (`SteinVariationalGradientDescent`): each step
/// evaluates the model's gradient at every particle (one batched evaluation), the kernel
/// matrix K and the kernel energy E = ½ Σₐ Σ_b k(xₐ, x_b), whose gradient gives the
/// repulsive term (for the RBF kernel, Σⱼ ∇_{xⱼ} k(xⱼ, xᵢ) = −∂E/∂xᵢ), and moves the particles
/// along φ = (K G − ∂E/∂X) / n with Adam. Both gradients are the differentiator's, of IR
/// programs. Half the steps are taken at the step size `lr`, the second half with it decayed
/// 100-fold, so the particles settle; there is no convergence test.
public final class SteinFitter {
    let density: Executable
    let kernel: Executable
    let n: Int
    let d: Int
    let settings: FitSettings

    /// `density` is the log density over the space the particles live in (input `theta`,
    /// output `target`), `data` its data.
    public init(density: Program, data: [String: Tensor], particles n: Int, dimension d: Int, settings: FitSettings) throws {
        (self.n, self.d, self.settings) = (n, d, settings)
        let gradient = try Differentiator.gradient(density, of: "target", wrt: ["theta"])
        self.density = try Executable(gradient, varying: ["theta"], data: data, batch: n)
        kernel = try Executable(try SteinFitter.kernelGradient(n, d), varying: ["X", "G", "h"], data: [:])
    }

    /// `kernelProgram` with the gradient of its energy with respect to X, `grad.X`.
    static func kernelGradient(_ n: Int, _ d: Int) throws -> Program {
        try Differentiator.gradient(kernelProgram(n, d), of: "energy", wrt: ["X"])
    }

    /// E = ½ Σₐ Σ_b exp(−‖xₐ − x_b‖² / h) and K G, for particles X (n × d), their gradients G
    /// and the bandwidth h; ‖xₐ − x_b‖² = sₐ + s_b − 2 xₐ·x_b with s the rows' squared norms.
    static func kernelProgram(_ n: Int, _ d: Int) -> Program {
        let b = Builder()
        let e = Emitter(b)
        let points: IRType = .matrix(Size(n), Size(d))
        let x = b.inputValue(points), g = b.inputValue(points), h = b.inputValue(.real)
        let gram = e.matmul(x, e.transpose(x))
        let norms = e.matmul(e.op(.diagonal, gram), e.transpose(e.fill(e.c(1), .vector(Size(n)))))
        let distances = e.sub(e.add(norms, e.transpose(norms)), e.mul(e.c(2), gram))
        let k = e.un(.exp, e.div(e.neg(distances), h))
        let energy = e.mul(e.c(0.5), e.sum(k))
        let drive = e.matmul(k, g)
        let (instrs, types) = b.finish()
        return Program(name: "stein_kernel",
                       inputs: [Input(name: "X", value: x, role: .param, type: points, constraint: .none),
                                Input(name: "G", value: g, role: .param, type: points, constraint: .none),
                                Input(name: "h", value: h, role: .param, type: .real, constraint: .none)],
                       body: Block(instrs: instrs, yields: [energy, drive]), outputNames: ["energy", "drive"], types: types)
    }

    /// The median heuristic's bandwidth, med² / log n (1 while the particles coincide).
    static func bandwidth(_ x: [Double], n: Int, d: Int) -> Double {
        var squared: [Double] = []
        squared.reserveCapacity(n * (n - 1) / 2)
        for a in 0..<n {
            for b in (a + 1)..<max(a + 1, n) {
                var s = 0.0
                for i in 0..<d { let t = x[a * d + i] - x[b * d + i]; s += t * t }
                squared.append(s)
            }
        }
        squared.sort()
        let median = squared.isEmpty ? 0 : squared[squared.count / 2]
        let h = median / log(Double(n))
        return h > 0 && h.isFinite ? h : 1
    }

    /// Moves the particles from `initial` (n·d, row by row). The trace holds the mean log
    /// density over the particles at each step.
    public func run(from initial: [Double], progress: ((Int, Double) -> Void)? = nil,
                    interrupted: () -> Bool = { false }) -> FitResult {
        let start = DispatchTime.now().uptimeNanoseconds
        var result = FitResult(phi: initial)
        var x = initial
        var adam = Adam(count: n * d)
        var direction = [Double](repeating: 0, count: n * d)
        let theta = density.input("theta")
        let half = settings.steps / 2
        for step in 0..<settings.steps {
            if interrupted() {
                result.interrupted = true
                break
            }
            _ = theta.update(fromContentsOf: x)
            guard (try? density.run()) != nil else {
                result.failure = "the log density could not be evaluated at the particles"
                break
            }
            var mean = 0.0
            let g = kernel.input("G")
            for k in 0..<n {
                mean += density.output("target", particle: k)[0]
                let gk = density.output("grad.theta", particle: k)
                for i in 0..<d { g[k * d + i] = gk[i] }
            }
            mean /= Double(n)
            guard mean.isFinite, ppl_all_finite(UnsafePointer(g.baseAddress), n * d) != 0 else {
                result.failure = "the log density or its gradient is not finite at a particle (step \(step + 1))"
                break
            }
            _ = kernel.input("X").update(fromContentsOf: x)
            kernel.input("h")[0] = SteinFitter.bandwidth(x, n: n, d: d)
            guard (try? kernel.run()) != nil else {
                result.failure = "the kernel could not be evaluated"
                break
            }
            let drive = kernel.output("drive"), repulsion = kernel.output("grad.X")
            for i in 0..<(n * d) { direction[i] = (drive[i] - repulsion[i]) / Double(n) }
            var lr = settings.lr
            if step >= half { lr *= pow(0.01, Double(step - half) / Double(max(1, settings.steps - half))) }
            x.withUnsafeMutableBufferPointer { p in
                direction.withUnsafeBufferPointer { adam.step(p, gradient: $0, lr: lr) }
            }
            result.trace.append(mean)
            progress?(step + 1, mean)
        }
        result.phi = x
        result.steps = result.trace.count
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }
}
