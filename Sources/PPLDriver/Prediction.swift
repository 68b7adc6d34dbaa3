import PPLEngine
import PPLIR
import PPLSema

/// `ppl predict`: the generate block of a fitted model, run on each posterior draw with new
/// data (a new X) and without refitting.
public enum Prediction {
    /// The runtime of the fit's model with the data at `path`. The data the generate block
    /// does not read (directly or through transformed data), such as the observed outcomes,
    /// may be left out; the params must keep the sizes they had in the fit.
    public static func runtime(for fit: ModelRuntime, dataPath path: String) throws(PPLError) -> ModelRuntime {
        let model = fit.model
        guard !model.generated.outputNames.isEmpty else {
            throw .user("the model has no 'generate' block: there is nothing to predict (add 'generate { let y_rep = ... }')")
        }
        var read = model.generated.inputsRead()
        let tdata = Set(model.transformedData.outputNames).intersection(read)
        if !tdata.isEmpty { read.formUnion(model.transformedData.inputsRead(by: Array(tdata))) }
        // Sizes are always given: the params' shapes and the loops depend on them.
        let optional = Set(model.data.filter { !read.contains($0.name) && $0.type != .int }.map(\.name))
        let runtime = try ModelRuntime(model: model, dataPath: path, hint: "", optional: optional)
        for p in model.params {
            let before = fit.componentShapes[p.name] ?? evaluated(p.componentDims, fit.values)
            let after = runtime.componentShapes[p.name] ?? evaluated(p.componentDims, runtime.values)
            if before != after {
                throw .user("\(path): '\(p.name)' is \(p.typeText), of shape \(text(after)) with these data but \(text(before)) in the fit's: "
                            + "the new data must keep the sizes of the params")
            }
        }
        return runtime
    }

    private static func evaluated(_ dims: [Size], _ values: [String: Tensor]) -> [Int] {
        dims.map { s in s.evaluate { values[$0].flatMap { $0.count == 1 ? Int(exactly: $0.values[0]) : nil } } ?? -1 }
    }

    private static func text(_ shape: [Int]) -> String {
        shape.isEmpty ? "a scalar" : shape.map(String.init).joined(separator: "×")
    }
}
