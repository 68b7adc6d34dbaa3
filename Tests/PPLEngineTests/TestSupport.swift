import Foundation
import PPLDiff
import PPLEngine
import PPLIR
import XCTest

/// Evaluates `target` of a program whose varying inputs are given, and checks its symbolic
/// gradient and Hessian-vector product against Richardson-extrapolated central differences.
struct DerivativeCheck {
    let program: Program
    let wrt: [String]
    let data: [String: Tensor]

    func value(at point: [[Double]]) throws -> Double {
        let e = try Executable(program, varying: Set(wrt), data: data)
        for (name, v) in zip(wrt, point) { e.input(name).update(from: v) }
        try e.run()
        return e.output("target")[0]
    }

    /// Largest relative errors of the gradient and of H·v at `point` along `direction`.
    func errors(at point: [[Double]], direction: [[Double]]) throws -> (gradient: Double, hvp: Double) {
        let grad = try Differentiator.gradient(program, wrt: wrt)
        let hvp = try Differentiator.hessianVectorProduct(program, wrt: wrt)
        for p in [grad, hvp] { XCTAssertEqual(Verifier.verify(p), [], "\(p.name) does not verify") }
        let g = try Executable(grad, varying: Set(wrt), data: data)
        let h = try Executable(hvp, varying: Set(wrt + wrt.map { "tangent.\($0)" }), data: data)
        func set(_ e: Executable, _ p: [[Double]], prefix: String = "") {
            for (name, v) in zip(wrt, p) { e.input(prefix + name).update(from: v) }
        }
        set(g, point)
        try g.run()
        set(h, point)
        set(h, direction, prefix: "tangent.")
        try h.run()
        var gradientError = 0.0, hvpError = 0.0
        func err(_ a: Double, _ b: Double) -> Double {
            a.isFinite && b.isFinite ? abs(a - b) / max(1, abs(b)) : .infinity
        }
        func richardson(_ f: (Double) throws -> Double, _ step: Double) rethrows -> Double {
            let d1 = (try f(step) - f(-step)) / (2 * step)
            let d2 = (try f(step / 2) - f(-step / 2)) / step
            return (4 * d2 - d1) / 3
        }
        for (k, name) in wrt.enumerated() {
            let exact = Array(g.output("grad.\(name)"))
            for i in point[k].indices {
                let step = 1e-3 * max(1, abs(point[k][i]))
                let fd = try richardson({ d in
                    var p = point
                    p[k][i] += d
                    return try value(at: p)
                }, step)
                gradientError = max(gradientError, err(exact[i], fd))
            }
        }
        for (k, name) in wrt.enumerated() {
            let exact = Array(h.output("hvp.\(name)"))
            for i in point[k].indices {
                let fd = try richardson({ d in
                    let p = zip(point, direction).map { zip($0, $1).map { $0 + d * $1 } }
                    set(g, p)
                    try g.run()
                    return g.output("grad.\(name)")[i]
                }, 1e-3)
                hvpError = max(hvpError, err(exact[i], fd))
            }
        }
        return (gradientError, hvpError)
    }
}

extension UnsafeMutableBufferPointer where Element == Double {
    func update(from values: [Double]) {
        for (i, v) in values.enumerated() { self[i] = v }
    }
}

struct SeededRandom {
    var rng: RNG
    init(_ seed: UInt64) { rng = RNG(seed: seed) }
    mutating func uniform(_ r: ClosedRange<Double>) -> Double { r.lowerBound + (r.upperBound - r.lowerBound) * rng.uniform() }
    mutating func normals(_ n: Int) -> [Double] { (0..<n).map { _ in rng.normal() } }
}

/// The Jacobian of f at x by central differences with step h: J[i][j] = ∂f_i/∂x_j.
func numericalJacobian(_ f: ([Double]) throws -> [Double], at x: [Double], step h: Double) rethrows -> [[Double]] {
    var jacobian = [[Double]](repeating: [Double](repeating: 0, count: x.count), count: x.count)
    for j in x.indices {
        var up = x, down = x
        up[j] += h
        down[j] -= h
        let fu = try f(up), fd = try f(down)
        for i in x.indices { jacobian[i][j] = (fu[i] - fd[i]) / (2 * h) }
    }
    return jacobian
}

/// log|det A| by Gaussian elimination with partial pivoting, for numerical Jacobians.
func logAbsDeterminant(_ a: [[Double]]) -> Double {
    var m = a
    let n = m.count
    var total = 0.0
    for col in 0..<n {
        let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
        m.swapAt(col, pivot)
        total += log(abs(m[col][col]))
        for r in (col + 1)..<max(col + 1, n) {
            let f = m[r][col] / m[col][col]
            for c in col..<n { m[r][c] -= f * m[col][c] }
        }
    }
    return total
}
