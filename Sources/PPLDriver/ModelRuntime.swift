import PPLEngine
import PPLInference
import PPLIR
import PPLSema
import PPLSyntax

/// A checked model with its data: transformed data computed, bounds checked, and the
/// programs over the unconstrained space ready to compile.
public final class ModelRuntime {
    public let model: CheckedModel
    /// Data and transformed data, by name.
    public let values: [String: Tensor]
    public let programs: DerivedPrograms
    public var space: UnconstrainedDensity { programs.unconstrained }
    /// The continuous part of θ, which a guide's family draws.
    public let dimension: Int
    /// The categorical guide of the discrete params, which follow the continuous part in θ;
    /// nil for a model without them.
    public let discrete: DiscreteLatents?
    /// A sharded fit's split of the rows (`Shard`), and the ranks whose parts its density's
    /// values are summed over; nil for a fit in one process.
    public let shard: (split: Shard, ranks: RankSum)?
    /// Why a rank of a sharded fit does not run the generate block — it reads the rows of N,
    /// which each rank holds a part of — or nil.
    public let generatedWithheld: String?
    /// The values of a draw: the unconstrained dimension and the derived values (at least).
    public let columns: Int
    /// The Laplace frame, once searched for (`laplaceFrame`).
    var laplace: (frame: Frame?, note: String)?
    /// The posterior mode, once searched for (`posteriorMode`), and the search.
    var mode: (outcome: ModeSearch.Outcome, seconds: Double, search: ModeSearch)?

    /// The transformed data program with only the inputs its outputs read (and the ints,
    /// which size its values): the engine copies every input into its buffers, and a large
    /// data set read by the model alone should not be held twice.
    static func transformedDataReading(_ model: CheckedModel) -> Program {
        let p = model.transformedData
        let read = p.inputsRead()
        return Program.extract(name: p.name, from: p.body.instrs, types: p.types,
                               inputs: p.inputs.filter { read.contains($0.name) || $0.type == .int },
                               outputs: Array(zip(p.outputNames, p.body.yields)))
    }

    /// The one way from a model and its data file to a runtime: reads and checks the data,
    /// computes the transformed data and checks the bounds. A model that declares data
    /// needs a file; `hint` says how to give one.
    ///
    /// Data named in `optional` may be missing from the file (`ppl predict` needs only what
    /// the generate block reads): they are zeros, and neither they nor the transformed data
    /// computed from them are checked.
    ///
    /// With `shard`, this rank's part of a sharded fit (`Shard`): only its rows of the data
    /// are read, and the density is its part (`MinibatchedDensity.init(model:size:gathering:shard:)`).
    public convenience init(model: CheckedModel, dataPath: String?, hint: String, optional: Set<String> = [],
                            shard: (split: Shard, ranks: RankSum)? = nil) throws(PPLError) {
        if dataPath == nil, !model.data.isEmpty {
            throw .user("the model needs data (\(model.data.map(\.name).joined(separator: ", "))): \(hint)")
        }
        if let shard { try Self.checkShardable(model, shard.split) }
        var absent: Set<String> = []
        var data = try PPLError.during(.user) {
            try dataPath.map { try DataLoader.load(path: $0, model: model, optional: optional, absent: &absent, shard: shard?.split) } ?? [:]
        }
        if let shard {
            data[MinibatchedDensity.scaleInput] = Tensor(scalar: Double(shard.split.ranks))
            data[MinibatchedDensity.weightInput] = Tensor(scalar: 1 / Double(shard.split.ranks))
        }
        try self.init(model: model, data: data, file: dataPath ?? "the data", absent: absent, shard: shard)
    }

    /// Refuses a model whose sharded fit would differ from the fit of all the data: its
    /// density must be a sum over the rows plus terms free of them, and what runs on each
    /// rank's rows beside it — transformed data, derived values, generated quantities —
    /// must be row by row or free of the rows.
    static func checkShardable(_ model: CheckedModel, _ shard: Shard) throws(PPLError) {
        do {
            _ = try MinibatchedDensity(model: model, size: shard.size, gathering: false, shard: true)
            try MinibatchedDensity.checkRowwise(transformedDataReading(model), size: shard.size, what: "transformed data", rowsAllowed: true,
                                                help: "compute it into the data file, or fit without --shard")
            try MinibatchedDensity.checkRowwise(model.derived, size: shard.size, what: "transformed parameter", rowsAllowed: false,
                                                help: "make it a local variable of the model block, or fit without --shard")
        } catch {
            if error.span.file == nil { throw .user(error.message + (error.help.first.map { "; " + $0 } ?? "")) }
            throw .located([error])
        }
    }

    /// A runtime from the contents of a data file (`file` names it in messages).
    public convenience init(model: CheckedModel, contents: [UInt8], file: String) throws(PPLError) {
        var absent: Set<String> = []
        let data = try PPLError.during(.user) { try DataLoader.load(bytes: contents, file: file, model: model, absent: &absent) }
        try self.init(model: model, data: data, file: file)
    }

    /// A runtime from data already read (`file` names them in messages): the transformed
    /// data computed and the bounds checked, except those of the data named in `absent` and
    /// of what is computed from them.
    public init(model: CheckedModel, data: [String: Tensor], file: String = "the data", absent: Set<String> = [],
                shard: (split: Shard, ranks: RankSum)? = nil) throws(PPLError) {
        self.model = model
        self.shard = shard
        do {
            if let shard {
                try MinibatchedDensity.checkRowwise(model.generated, size: shard.split.size, what: "generated quantity",
                                                    rowsAllowed: false, help: "")
            }
            generatedWithheld = nil
        } catch {
            generatedWithheld = error.message
        }
        values = try PPLError.during(.user) {
            var values = data
            let td = try Executable(Self.transformedDataReading(model), varying: [], data: values)
            for (name, value) in model.transformedData.outputs {
                let t = Tensor(vector: Array(td.output(name)))
                if model.transformedData.types[value.id].elem == .int,
                   absent.isDisjoint(with: model.transformedData.inputsRead(by: [name])),
                   let bad = t.values.firstIndex(where: { !(abs($0) <= 0x1p53) }) {
                    let x = t.values[bad]
                    throw PPLError.user("\(file): '\(name)' is an int, but with these data it is \(DataLoader.format(x))"
                                        + (x.isFinite ? ", beyond ±2^53" : x.isNaN ? "" : " (an integer division by zero?)"))
                }
                values[name] = t
            }
            try Self.checkDeclarations(model, values)
            let rows = try shard.map { s throws(PPLError) -> (size: String, first: Int, total: Int) in
                let total = Int(values[MinibatchedDensity.totalInput]?.values[0] ?? 0)
                return (s.split.size, try s.split.rows(of: total, file: file).lowerBound, total)
            }
            try DataLoader.checkBounds(values, model: model, file: file, absent: absent, rows: rows)
            return values
        }
        programs = try shard.map { s throws(PPLError) in try DerivedPrograms(model: model, shard: s.split) } ?? DerivedPrograms(model: model)
        var ints: [String: Int] = [:]
        for (k, v) in values where v.count == 1 { ints[k] = Int(exactly: v.values[0]) }
        for p in model.params {
            for s in p.componentDims + [p.unconstrainedSize] {
                try Self.checkSize(s, of: "'\(p.name)' is \(p.typeText)", ints: ints, values: values, file: file)
            }
        }
        for p in model.params where p.constraint == .choleskyFactorCov {
            if case .matrix(let r, let c) = p.type.shape, let m = r.evaluate({ ints[$0] }), let n = c.evaluate({ ints[$0] }), m < n {
                throw .user("'\(p.name)' is \(p.typeText), \(m)×\(n) with these data, but a Cholesky factor has at least as many rows as columns")
            }
        }
        let size = programs.unconstrained.dimension
        let all = try Self.checkSize(size, of: "the unconstrained dimension", ints: ints, values: values, file: file)
        // The engine indexes a value with 32 bits.
        guard all <= Int(Int32.max) else {
            throw .user("\(file): the unconstrained dimension \(size) is \(all), more than ppl holds (\(Int32.max))")
        }
        discrete = try Self.discreteLatents(programs.unconstrained, model: model, ints: ints, values: values, file: file)
        dimension = all - (discrete?.count ?? 0)
        columns = all + model.derived.outputNames.count
    }

    /// The guide's categoricals of the discrete params, with each one's values from its
    /// bounds (constants or data); nil for a model without discrete params.
    static func discreteLatents(_ space: UnconstrainedDensity, model: CheckedModel, ints: [String: Int],
                                values: [String: Tensor], file: String) throws(PPLError) -> DiscreteLatents? {
        var groups: [DiscreteLatents.Group] = []
        for l in space.layout where l.isDiscrete {
            let count = try checkSize(l.length, of: "'\(l.name)'", ints: ints, values: values, file: file)
            guard case .lowerUpper(let lower, let upper) = l.constraint else {
                throw PPLError(InternalError("the int param '\(l.name)' has no lower and upper bounds"), otherwise: .internal)
            }
            func bound(_ b: BoundValue, _ which: String) throws(PPLError) -> Int {
                let v: Double
                switch b {
                case .constant(let x): v = x
                case .named(let n):
                    guard let t = values[n], t.count == 1 else {
                        throw .user("\(file): the \(which) bound of the int param '\(l.name)' is not one number; "
                                    + "a discrete param's values are the same for each of its elements")
                    }
                    v = t.values[0]
                case .computed:
                    throw PPLError(InternalError("the int param '\(l.name)' has a bound computed from params"), otherwise: .internal)
                }
                guard let i = Int(exactly: v) else {
                    throw .user("\(file): the \(which) bound of the int param '\(l.name)' is \(DataLoader.format(v)), not an integer")
                }
                return i
            }
            let a = try bound(lower, "lower"), b = try bound(upper, "upper")
            let (span, overflow) = b.subtractingReportingOverflow(a)
            guard !overflow, span >= 1, span < 1 << 20 else {
                throw .user("\(file): the int param '\(l.name)' takes the values \(a) to \(b): "
                            + (b <= a ? "a discrete param needs at least two values"
                                      : "more than \(1 << 20) values, too many for a categorical guide"))
            }
            let (logits, tooMany) = count.multipliedReportingOverflow(by: span)
            guard !tooMany, logits <= Int(Int32.max) else {
                throw .user("\(file): the int param '\(l.name)' has \(count) elements of \(span + 1) values each, "
                            + "more logits than ppl holds (\(Int32.max))")
            }
            groups.append(DiscreteLatents.Group(name: l.name, count: count, lower: a, categories: span + 1))
        }
        return groups.isEmpty ? nil : DiscreteLatents(groups: groups)
    }

    /// The model as it runs (imports and library included), for a saved fit to be checked against.
    public var modelHash: String { ContentHash.model(model) }
    /// The data the model reads, for a saved fit to be checked against.
    /// None for a rank of a sharded fit, which holds a part of them.
    public var dataHash: String? { shard == nil ? ContentHash.data(model, values) : nil }

    /// The value of a size with the data's ints, which must be a count: a size that overflows,
    /// is negative, or names a transformed int that is not an integer (`7 / N` with N = 0) is
    /// the data's error, naming `what`.
    @discardableResult
    static func checkSize(_ s: Size, of what: String, ints: [String: Int], values: [String: Tensor],
                          file: String) throws(PPLError) -> Int {
        switch s.evaluation({ ints[$0] }) {
        case .value(let n) where n >= 0: return n
        case .value(let n): throw .user("\(file): \(what): its size \(s) is \(n), a negative number")
        case .overflow: throw .user("\(file): \(what): its size \(s) overflows")
        case .unknown:
            for atom in s.terms.keys.flatMap({ $0 }) where ints[atom] == nil {
                if let v = values[atom], v.count == 1 {
                    throw .user("\(file): \(what), but '\(atom)' is \(DataLoader.format(v.values[0])), not an integer"
                                + (v.values[0].isFinite ? "" : " (an integer division by zero?)"))
                }
            }
            // Every size is a data int or a transformed one, all checked by now.
            throw PPLError(InternalError("\(what): its size \(s) is not known from the data"), otherwise: .internal)
        }
    }

    /// Compiles the model file at `path` and loads the data file.
    public convenience init(modelPath path: String, dataPath: String?, shard: (split: Shard, ranks: RankSum)? = nil) throws(PPLError) {
        let model = try Compilation.compile(path: path).checked()
        let stem = path.hasSuffix(".ppl") ? String(path.dropLast(4)) : path
        try self.init(model: model, dataPath: dataPath, hint: "pass --data FILE or put it in \(stem).data.json", shard: shard)
    }

    /// The dimensions of the components of the params and derived values that are arrays
    /// (`array[N] matrix[R, C]` has [N, R, C]), by name, for naming them.
    public var componentShapes: [String: [Int]] {
        var ints: [String: Int] = [:]
        for (k, v) in values where v.count == 1 { ints[k] = Int(exactly: v.values[0]) }
        var shapes: [String: [Int]] = [:]
        for (name, layout) in model.layouts {
            let dims = layout.componentDims.compactMap { $0.evaluate { ints[$0] } }
            if dims.count == layout.componentDims.count { shapes[name] = dims }
        }
        return shapes
    }

    public func gradientProgram() throws(PPLError) -> Program { try programs.gradient() }
    public func hessianVectorProgram() throws(PPLError) -> Program { try programs.hessianVector() }

    /// The data of the density over θ's continuous part: the values and, for a model with
    /// discrete params, theirs held at their lower bounds, where a check of the continuous
    /// part (`GradientCheck`) reads them.
    public var densityData: [String: Tensor] {
        guard let discrete else { return values }
        let lower = discrete.groups.flatMap { g in [Double](repeating: Double(g.lower), count: g.count) }
        return values.merging([UnconstrainedDensity.discreteInput: Tensor(vector: lower)]) { a, _ in a }
    }

    /// Compiles a program over θ (and, for Hessian-vector products, its tangent).
    public func executable(_ p: Program, batch: Int = 1) throws(PPLError) -> Executable {
        let varying = Set(p.inputs.filter { $0.role == .param }.map(\.name))
        let data = densityData
        return try PPLError.during(.computation) { try Executable(p, varying: varying, data: data, batch: batch) }
    }
}
