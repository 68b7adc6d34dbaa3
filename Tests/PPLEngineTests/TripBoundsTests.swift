import Foundation
import PPLDriver
import PPLEngine
import PPLIR
import PPLSema
import PPLSyntax
import XCTest

/// Trip bounds of loops whose trip count is not a size: computed with the transformed data
/// as the most iterations any execution of the loop runs, for the loops the log density
/// differentiates, and for no other loop.
final class TripBoundsTests: XCTestCase {
    func testBoundsAreTheLargestTripCounts() throws {
        let text = """
            data G: int<lower=1>
            data K: array[G] int<lower=0>
            data flag: int
            param mu: vector[G]
            mu ~ normal(0, 1)
            for g in 1:G {
              for k in 1:K[g] { target += -0.5 * square(mu[g] - k) }
            }
            for i in 1:G {
              for m in (i + 1):G { target += mu[i] * mu[m] * 0.01 }
            }
            for g in 1:G {
              if flag == 1 {
                for k in 2:K[g] { target += mu[g] * 0.1 }
              }
            }
            for g in 1:G { target += mu[g] }
            let data_only: real = 0
            for g in 1:G {
              for k in 1:K[g] { data_only += k }
            }
            """
        let c = Compilation.compile(file: SourceFile(path: "trips.ppl", text: text))
        let model = try XCTUnwrap(c.model, c.renderDiagnostics(color: false))
        let names = model.transformedData.outputNames.filter { $0.hasPrefix("trips.") }
        XCTAssertEqual(names, ["trips.1", "trips.2", "trips.3"], "one bound per loop the density differentiates")
        for flag in [1.0, 3.0] {
            let data = ["G": Tensor(scalar: 4), "K": Tensor(vector: [2, 0, 5, 1]), "flag": Tensor(scalar: flag)]
            let td = try Executable(model.transformedData, varying: [], data: data)
            // for k in 1:K[g]: 5; for m in (i + 1):G: 3 (at i = 1); for k in 2:K[g]: 4 where
            // the branch is taken, else it never runs.
            XCTAssertEqual(names.map { td.output($0)[0] }, [5, 3, flag == 1 ? 4 : 0], "flag = \(flag)")
        }
    }
}
