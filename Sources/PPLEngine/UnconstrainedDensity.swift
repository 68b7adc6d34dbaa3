import PPLIR

/// Programs over the unconstrained vector θ of a model's params, built from its
/// `log_density` program (whose param inputs carry their constraints) and, when bounds
/// depend on params, its `param_bounds` program (outputs named as the `.computed` bounds):
/// - `density`: log p(constrain(θ)) + log|J(θ)|, output `target`;
/// - `constrain`: θ → each param (outputs named after the params);
/// - `unconstrain`: the params → θ (output `theta`).
public struct UnconstrainedDensity {
    public struct Layout: Sendable {
        public let name: String
        public let type: IRType
        public let constraint: Constraint
        /// 0-based offset and length in θ, symbolically.
        public let offset: Size
        public let length: Size
        /// A discrete latent variable (`int<lower=a, upper=b>`): its slots of θ hold its values,
        /// as reals, after every continuous param's.
        public var isDiscrete: Bool { type.elem == .int }
    }

    /// log p over θ's continuous part; a model with discrete params reads their values, as
    /// reals, from the data input `discrete`.
    public let density: Program
    /// θ → the params, over the whole of θ (the discrete params' values last).
    public let constrain: Program
    public let unconstrain: Program
    public let layout: [Layout]
    public let dimension: Size
    /// The continuous params' part of θ, its first elements; the discrete params' values follow.
    public let continuousDimension: Size
    /// The input of `density` holding the discrete params' values.
    public static let discreteInput = "discrete"

    /// Params are constrained in the order of declaration, so a bound computed from params
    /// uses the constrained values of those declared before it, and the differentiator sees
    /// through it. `density` leaves out the log-Jacobians of the params in `pointEstimates`:
    /// a point estimate maximises the density of the param itself, as an optimiser does
    /// (Stan's `optimize` without `jacobian`), which the change of variables would shift
    /// (a scale's estimate by the log-Jacobian log σ).
    ///
    /// `scaledJacobians` names params whose log-Jacobians count `scale` times (a fixed input
    /// of `p`): a minibatch's local params, whose Jacobian is a sum over the batch's rows
    /// and is scaled by N/M with the rest of the batch's sums (`MinibatchedDensity`).
    public init(logDensity p: Program, paramBounds: Program? = nil, pointEstimates: Set<String> = [],
                scaledJacobians: (params: Set<String>, scale: String)? = nil) {
        var offset = Size(0)
        let params = p.inputs.filter { $0.role == .param }
        // The continuous params first, then the discrete ones: a guide draws the first part of θ
        // from its family and the rest from its categoricals. Each keeps its order of declaration.
        var placed: [String: Layout] = [:]
        for i in params.filter({ $0.type.elem != .int }) + params.filter({ $0.type.elem == .int }) {
            let n = i.type.elem == .int ? i.type.shape.count
                : UnconstrainedDensity.bijector(i.constraint, Emitter(Builder())) { _ in Value(0) }.unconstrainedSize(i.type)
            placed[i.name] = Layout(name: i.name, type: i.type, constraint: i.constraint, offset: offset, length: n)
            offset = offset + n
        }
        let layout = params.map { placed[$0.name]! }
        self.layout = layout
        dimension = offset
        let fixed = p.inputs.filter { $0.role != .param }

        /// The values of a param's bounds: constants, data, or what `paramBounds` computes
        /// from the params constrained before it (`known`: param input → its value); flat
        /// (as a vector) for `constrain`, which works on the flat slice of θ.
        func bounds(_ c: Constraint, _ e: Emitter, known: [Value: Value], flat: Bool) -> (BoundValue) -> Value {
            var computed: [String: Value] = [:]
            let names = c.bounds.compactMap { b -> String? in if case .computed(let n) = b { return n } else { return nil } }
            if let q = paramBounds, !names.isEmpty {
                let outputs = names.map { n in (n, q.body.yields[q.outputNames.firstIndex(of: n)!]) }
                let needed = Program.extract(name: q.name, from: q.body.instrs, types: q.types, inputs: q.inputs, outputs: outputs)
                for (n, v) in zip(names, e.b.inline(needed.body, types: q.types, mapping: known)) { computed[n] = v }
            }
            return { b in
                let v: Value
                switch b {
                case .constant(let x): v = e.c(x)
                case .named(let n): v = fixed.first { $0.name == n }!.value
                case .computed(let n): v = computed[n]!
                }
                return flat ? UnconstrainedDensity.flatten(e, v) : v
            }
        }

        let continuous = layout.filter { !$0.isDiscrete }.reduce(Size(0)) { $0 + $1.length }
        let discreteCount = offset - continuous
        continuousDimension = continuous
        // θ → params, shared by `density` and `constrain`. With `split`, θ is the continuous
        // part alone and the discrete params' values are a second input, `discrete`.
        func constrained(_ b: Builder, split: Bool) -> (theta: Value, discrete: Value?, values: [Value], logJacobian: Value) {
            let e = Emitter(b)
            let theta = b.inputValue(.vector(split ? continuous : offset))
            let discrete = split ? b.inputValue(.vector(discreteCount)) : nil
            var values: [Value] = []
            var known: [Value: Value] = [:]
            var logJ: Value?
            for (i, l) in zip(params, layout) {
                if let discrete, l.isDiscrete {
                    let moved = Layout(name: l.name, type: l.type, constraint: l.constraint, offset: l.offset - continuous, length: l.length)
                    values.append(b.append(.reshape, [UnconstrainedDensity.slice(e, discrete, moved)], type: l.type))
                    known[i.value] = values[values.count - 1]
                    continue
                }
                let y = UnconstrainedDensity.slice(e, theta, l)
                // A discrete param's slots hold its values: read as ints, with no Jacobian.
                if l.isDiscrete {
                    values.append(b.append(.reshape, [y], type: l.type))
                    known[i.value] = values[values.count - 1]
                    continue
                }
                let bij = UnconstrainedDensity.bijector(l.constraint, e, bound: bounds(l.constraint, e, known: known, flat: true))
                let (x, j) = bij.constrain(e, y, as: l.type)
                values.append(UnconstrainedDensity.shape(e, x, as: l.type))
                known[i.value] = values[values.count - 1]
                if case .none = l.constraint { continue }
                if pointEstimates.contains(l.name) { continue }
                var term = j
                if let scaled = scaledJacobians, scaled.params.contains(l.name) {
                    term = e.mul(j, fixed.first { $0.name == scaled.scale }!.value)
                }
                logJ = logJ.map { e.add($0, term) } ?? term
            }
            return (theta, discrete, values, logJ ?? b.constant(0))
        }
        func thetaInput(_ v: Value, _ length: Size) -> Input {
            Input(name: "theta", value: v, role: .param, type: .vector(length), constraint: .none)
        }

        do {
            let b = Builder(types: p.types)
            let split = discreteCount != Size(0)
            let (theta, discrete, values, logJ) = constrained(b, split: split)
            var map: [Value: Value] = [:]
            for (i, v) in zip(params, values) { map[i.value] = v }
            let outs = b.inline(p.body, types: p.types, mapping: map)
            let target = Emitter(b).add(outs[p.outputNames.firstIndex(of: "target")!], logJ)
            let (instrs, types) = b.finish()
            density = Program.extract(name: "unconstrained_log_density", from: instrs, types: types,
                                      inputs: fixed + [thetaInput(theta, split ? continuous : offset)]
                                          + (discrete.map { [Input(name: UnconstrainedDensity.discreteInput, value: $0, role: .data,
                                                                   type: .vector(discreteCount), constraint: .none)] } ?? []),
                                      outputs: [("target", target)])
        }
        do {
            let b = Builder(types: p.types)
            let (theta, _, values, _) = constrained(b, split: false)
            let (instrs, types) = b.finish()
            constrain = Program.extract(name: "constrain", from: instrs, types: types, inputs: fixed + [thetaInput(theta, offset)],
                                        outputs: Array(zip(params.map(\.name), values)))
        }
        do {
            let b = Builder(types: p.types)
            let e = Emitter(b)
            var parts: [Value] = []
            var inputs = fixed
            var known: [Value: Value] = [:]
            for (i, l) in zip(params, layout) {
                let x = b.inputValue(l.type)
                inputs.append(Input(name: l.name, value: x, role: .param, type: l.type, constraint: l.constraint))
                known[i.value] = x
                if l.isDiscrete {
                    parts.append(b.append(.reshape, [x], type: .vector(l.length)))
                    continue
                }
                let bij = UnconstrainedDensity.bijector(l.constraint, e, bound: bounds(l.constraint, e, known: known, flat: false))
                var y = bij.unconstrain(e, x)
                switch e.type(y).shape {
                case .scalar: y = e.fill(y, .vector(Size(1)))
                case .vector: break
                case .rowVector: y = e.transpose(y)
                case .matrix: y = b.append(.reshape, [y], type: .vector(l.length))
                }
                parts.append(y)
            }
            // θ in the layout's order, the discrete params' values last.
            let order = layout.indices.filter { !layout[$0].isDiscrete } + layout.indices.filter { layout[$0].isDiscrete }
            let theta = order.map { parts[$0] }.reduce(nil as Value?) { acc, y in acc.map { e.op(.concat, $0, y) } ?? y }
            let (instrs, types) = b.finish()
            unconstrain = Program.extract(name: "unconstrain", from: instrs, types: types, inputs: inputs,
                                          outputs: [("theta", theta ?? b.constant(0))])
        }
    }

    /// The bijector of a constraint; a constrained vector type held as a matrix is an array
    /// of them, constrained row by row.
    static func bijector(_ c: Constraint, _ e: Emitter, bound: (BoundValue) -> Value) -> Bijector {
        let b = Bijectors.of(c, bound: bound)
        switch c {
        case .simplex, .ordered, .positiveOrdered: return EachRow(inner: b)
        default: return b
        }
    }

    /// A bound as a flat vector, to meet the flat slice of θ.
    static func flatten(_ e: Emitter, _ v: Value) -> Value {
        let t = e.type(v)
        switch t.shape {
        case .scalar, .vector: return v
        case .rowVector: return e.transpose(v)
        case .matrix: return e.b.append(.reshape, [v], type: t.with(shape: .vector(t.shape.count)))
        }
    }

    /// The unconstrained slice of θ for one param (a scalar for a scalar param).
    static func slice(_ e: Emitter, _ theta: Value, _ l: Layout) -> Value {
        if l.type.isScalar, l.length == Size(1) {
            return e.op(.at, theta, l.offset.constant.map { e.int($0 + 1) } ?? e.size(l.offset + Size(1)))
        }
        return e.op(.at, theta, e.range(l.offset + Size(1), l.offset + l.length))
    }

    /// A constrained vector given the param's declared shape (the matrix bijectors give it already).
    static func shape(_ e: Emitter, _ x: Value, as type: IRType) -> Value {
        if e.type(x).shape == type.shape { return x }
        switch type.shape {
        case .scalar, .vector: return x
        case .rowVector: return e.transpose(x)
        case .matrix: return e.b.append(.reshape, [x], type: type)
        }
    }
}
