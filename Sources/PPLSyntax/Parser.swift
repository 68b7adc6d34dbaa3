/// Hand-written recursive-descent parser for `grammar/ppl.ebnf`. Each parsing method
/// names the grammar rule it implements. On a syntax error the parser reports it,
/// skips to the end of the statement and goes on, so one run reports several errors.
public struct Parser {
    private var tokens: [Token]
    private var pos = 0
    private let file: SourceFile
    private let sink: DiagnosticSink
    private var depth = 0
    private var unparsedDefinitions: Set<String> = []
    /// Limits on nesting and on the length of one operator chain, so that no input can
    /// exhaust the stack of the parser or of the checker that walks the tree.
    private static let maxDepth = 200
    private static let maxChain = 2000

    struct Abort: Error {}

    public init(file: SourceFile, sink: DiagnosticSink) {
        self.file = file
        self.sink = sink
        self.tokens = Lexer.tokenize(file, sink: sink)
    }

    public static func parse(_ file: SourceFile, sink: DiagnosticSink) -> SourceProgram {
        var p = Parser(file: file, sink: sink)
        return p.parseProgram()
    }

    // MARK: - Token helpers

    private var current: Token { tokens[pos] }
    private var kind: TokenKind { tokens[pos].kind }
    private func peekKind(_ k: Int) -> TokenKind { tokens[min(pos + k, tokens.count - 1)].kind }

    private mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    private func at(_ s: Symbol) -> Bool { kind == .symbol(s) }
    private func at(_ k: Keyword) -> Bool { kind == .keyword(k) }

    private mutating func accept(_ s: Symbol) -> Bool {
        if at(s) { _ = advance(); return true }
        return false
    }

    private mutating func skipNewlines() {
        while kind == .newline || at(.semicolon) { _ = advance() }
    }

    private func fail(_ message: String, at span: SourceSpan? = nil, help: String? = nil) -> Abort {
        let where_ = span ?? current.span
        // An invalid character was reported by the lexer already.
        if span == nil, kind == .invalid { return Abort() }
        sink.error(message, at: where_, help: help)
        return Abort()
    }

    private mutating func expect(_ s: Symbol, _ context: String) throws -> Token {
        guard at(s) else { throw fail("expected '\(s.rawValue)' \(context), found \(kind)") }
        return advance()
    }

    private mutating func expectIdentifier(_ context: String) throws -> Identifier {
        switch kind {
        case .identifier(let name):
            let t = advance()
            return Identifier(name, span: t.span)
        case .keyword(let k):
            throw fail("'\(k.rawValue)' is a reserved word and cannot be used as a name", help: "choose another name, e.g. '\(k.rawValue)_'")
        default:
            throw fail("expected a name \(context), found \(kind)")
        }
    }

    /// Skips to the end of the current statement, keeping braces balanced; `open` braces
    /// of the failed statement were already consumed and must be closed too.
    private mutating func recover(open: Int = 0) {
        var depth = open
        while kind != .eof {
            switch kind {
            case .symbol(.lbrace): depth += 1
            case .symbol(.rbrace):
                if depth == 0 { return }
                depth -= 1
                if depth == 0 {
                    _ = advance()
                    if kind == .newline || at(.semicolon) { _ = advance() }
                    return
                }
            case .newline, .symbol(.semicolon):
                if depth == 0 { _ = advance(); return }
            default: break
            }
            _ = advance()
        }
    }

    // MARK: - Statements

    /// program = { item } ;
    mutating func parseProgram() -> SourceProgram {
        var items: [Stmt] = []
        skipNewlines()
        while kind != .eof {
            if at(.rbrace) {
                sink.error("unmatched '}'", at: current.span)
                _ = advance()
            } else if let s = parseStatement(topLevel: true) {
                items.append(s)
            }
            skipNewlines()
        }
        var program = SourceProgram(file: file, items: items)
        program.unparsedDefinitions = unparsedDefinitions
        return program
    }

    /// item / body_statement, followed by statement_end.
    private mutating func parseStatement(topLevel: Bool) -> Stmt? {
        let start = pos
        do {
            let s = try statement(topLevel: topLevel)
            try statementEnd()
            return s
        } catch {
            if start + 1 < tokens.count, tokens[start].kind == .keyword(.fn) || tokens[start].kind == .keyword(.dist),
               case .identifier(let name) = tokens[start + 1].kind {
                unparsedDefinitions.insert(name)
            }
            var open = 0
            for t in tokens[start..<pos] {
                if t.kind == .symbol(.lbrace) { open += 1 }
                if t.kind == .symbol(.rbrace) { open = max(0, open - 1) }
            }
            recover(open: open)
            return nil
        }
    }

    /// statement_end = newline | ";" | (before "}" or end of file) ;
    private mutating func statementEnd() throws {
        switch kind {
        case .newline, .symbol(.semicolon): _ = advance()
        case .eof, .symbol(.rbrace): break
        default: throw fail("expected end of statement, found \(kind)",
                            help: "put each statement on its own line or separate them with ';'")
        }
    }

    private mutating func statement(topLevel: Bool) throws -> Stmt {
        let start = current.span
        if case .keyword(let k) = kind {
            switch k {
            case .data, .param:
                guard topLevel else { throw fail("'\(k.rawValue)' declarations are only allowed at top level") }
                return try dataOrParamDecl()
            case .fn:
                guard topLevel else { throw fail("functions can only be defined at top level") }
                return try fnDef()
            case .dist:
                guard topLevel else { throw fail("distributions can only be defined at top level") }
                return try distDef()
            case .guide:
                guard topLevel else { throw fail("guides can only be declared at top level") }
                return try guideDecl()
            case .import:
                guard topLevel else { throw fail("'import' is only allowed at top level") }
                return try importDecl()
            case .let: return try letDecl()
            case .for: return try forStmt()
            case .if: return try ifStmt()
            case .target: return try targetStmt()
            case .return:
                _ = advance()
                let e = try expr()
                return Stmt(.return_(e), span: start.to(e.span))
            default: break
            }
        }
        // generate_block = "generate" block ; ("generate" is a contextual word.)
        if case .identifier("generate") = kind, peekKind(1) == .symbol(.lbrace) {
            guard topLevel else { throw fail("a 'generate' block is only allowed at top level") }
            _ = advance()
            let (body, end) = try block()
            return Stmt(.generate(body), span: start.to(end))
        }
        if at(.lbrace) {
            // block_stmt = block ;
            let (body, end) = try block()
            return Stmt(.block(body), span: start.to(end))
        }
        // assign_stmt or tilde_stmt: both start with an expression.
        let lhs = try expr()
        if at(.tilde) { return try tildeStmt(lhs) }
        if at(.assign) { return try assignStmt(lhs, compound: nil) }
        if case .symbol(let s) = kind, let op = Parser.compoundAssignments[s] { return try assignStmt(lhs, compound: op) }
        throw fail("expected '~' or '=' after expression, found \(kind)",
                   at: kind == .newline || kind == .eof ? lhs.span : nil,
                   help: "a statement is a declaration, 'x ~ dist(...)', 'target += ...', an assignment, 'for' or 'if'")
    }

    /// data_decl = "data" identifier ":" type ;  param_decl = "param" identifier ":" type ;
    private mutating func dataOrParamDecl() throws -> Stmt {
        let kw = advance()
        let name = try expectIdentifier("after '\(kw.kind == .keyword(.data) ? "data" : "param")'")
        _ = try expect(.colon, "after the name (declarations are 'NAME: TYPE')")
        let t = try type()
        let span = kw.span.to(t.span)
        return kw.kind == .keyword(.data) ? Stmt(.data(name, t), span: span) : Stmt(.param(name, t), span: span)
    }

    /// let_decl = "let" identifier [ ":" type ] [ "=" expr ] ;
    private mutating func letDecl() throws -> Stmt {
        let kw = advance()
        let name = try expectIdentifier("after 'let'")
        var t: TypeExpr?
        if accept(.colon) { t = try type() }
        var value: Expr?
        if accept(.assign) { value = try expr() }
        if t == nil && value == nil {
            throw fail("expected '=' or ':' after 'let \(name.name)'",
                       help: "write 'let \(name.name) = EXPR', or 'let \(name.name): TYPE' to fill it element by element")
        }
        let end = value?.span ?? t?.span ?? name.span
        return Stmt(.let_(name, t, value), span: kw.span.to(end))
    }

    /// The operators of compound assignments: `x += e` is `x = x + e`.
    private static let compoundAssignments: [Symbol: BinaryOp] = [
        .plusAssign: .add, .minusAssign: .sub, .starAssign: .mul, .slashAssign: .div,
        .dotStarAssign: .elemMul, .dotSlashAssign: .elemDiv,
    ]

    /// assign_stmt = identifier { "[" index_list "]" } assign_op expr ;
    /// assign_op = "=" | "+=" | "-=" | "*=" | "/=" | ".*=" | "./=" ;
    private mutating func assignStmt(_ lhs: Expr, compound: BinaryOp?) throws -> Stmt {
        let eqSpan = advance().span
        var indices: [[IndexArg]] = []
        var target = lhs
        while case .index(let base, let idx) = target.kind {
            indices.insert(idx, at: 0)
            target = base
        }
        guard case .name(let n) = target.kind else {
            throw fail("only a local 'let' variable or one of its elements can be assigned", at: lhs.span.to(eqSpan))
        }
        var rhs = try expr()
        if let compound { rhs = Expr(.binary(compound, lhs, rhs), span: lhs.span.to(rhs.span)) }
        return Stmt(.assign(Identifier(n, span: target.span), indices, rhs), span: lhs.span.to(rhs.span))
    }

    /// tilde_stmt = expr "~" identifier "(" [ dist_args ] ")" [ truncation ] ;
    /// truncation = "T" "[" [ expr ] "," [ expr ] "]" ;
    private mutating func tildeStmt(_ lhs: Expr) throws -> Stmt {
        _ = advance()
        let dist = try expectIdentifier("of a distribution after '~'")
        _ = try expect(.lparen, "after the distribution name")
        let args = try exprList(until: .rparen)
        var end = try expect(.rparen, "to close the distribution's arguments").span
        var truncation: Truncation?
        if case .identifier("T") = kind, peekKind(1) == .symbol(.lbracket) {
            let start = advance().span
            _ = advance()
            let lower = at(.comma) ? nil : try expr()
            guard accept(.comma) else {
                throw fail("expected ',' in the truncation, found \(kind)",
                           help: "write 'T[L, U]', or 'T[L, ]' and 'T[, U]' for one bound")
            }
            let upper = at(.rbracket) ? nil : try expr()
            end = try expect(.rbracket, "to close the truncation").span
            if lower == nil && upper == nil { throw fail("a truncation needs a bound", at: start.to(end), help: "write 'T[L, U]', 'T[L, ]' or 'T[, U]'") }
            truncation = Truncation(lower: lower, upper: upper, span: start.to(end))
        }
        return Stmt(.tilde(lhs, dist, args, truncation), span: lhs.span.to(end))
    }

    /// target_stmt = "target" "+=" expr ;
    private mutating func targetStmt() throws -> Stmt {
        let kw = advance()
        guard accept(.plusAssign) else {
            throw fail("expected '+=' after 'target'", help: "the log density is incremented with 'target += EXPR'")
        }
        let e = try expr()
        return Stmt(.targetPlus(e), span: kw.span.to(e.span))
    }

    /// for_stmt = "for" identifier "in" expr ":" expr block ;
    private mutating func forStmt() throws -> Stmt {
        let kw = advance()
        let v = try expectIdentifier("for the loop variable")
        guard at(.in) else { throw fail("expected 'in' after the loop variable, found \(kind)", help: "loops are written 'for i in 1:N { ... }'") }
        _ = advance()
        let lo = try additive()
        _ = try expect(.colon, "in the loop range (written 'A:B')")
        let hi = try additive()
        let (body, end) = try block()
        return Stmt(.for_(v, lo, hi, body), span: kw.span.to(end))
    }

    /// if_stmt = "if" expr block [ "else" ( if_stmt | block ) ] ;
    private mutating func ifStmt() throws -> Stmt {
        let kw = advance()
        let cond = try expr()
        var (then, end) = try block()
        var otherwise: [Stmt]?
        // `else` may follow the closing brace on the next line.
        if kind == .newline, peekKind(1) == .keyword(.else) { _ = advance() }
        if at(.else) {
            _ = advance()
            if at(.if) {
                let nested = try ifStmt()
                otherwise = [nested]
                end = nested.span
            } else {
                let (b, e) = try block()
                otherwise = b
                end = e
            }
        }
        return Stmt(.if_(cond, then, otherwise), span: kw.span.to(end))
    }

    /// block = "{" { body_statement statement_end } "}" ;
    private mutating func block(inFunction: Bool = false) throws -> ([Stmt], SourceSpan) {
        guard at(.lbrace) else {
            throw fail("expected '{' to start a block, found \(kind)", help: at(.assign) ? "use '==' to compare" : nil)
        }
        let open = advance()
        depth += 1
        defer { depth -= 1 }
        if depth > Parser.maxDepth { throw fail("blocks are nested too deeply", at: open.span) }
        var body: [Stmt] = []
        skipNewlines()
        while !at(.rbrace) {
            if kind == .eof {
                throw fail("missing '}' to close the block", at: open.span, help: "this '{' is never closed")
            }
            if let s = parseStatement(topLevel: false) { body.append(s) }
            skipNewlines()
        }
        let close = advance()
        return (body, close.span)
    }

    // MARK: - Definitions

    /// fn_def = "fn" identifier "(" [ fn_params ] ")" "->" sig_type ( "=" expr | block ) ;
    private mutating func fnDef() throws -> Stmt {
        let kw = advance()
        let name = try expectIdentifier("after 'fn'")
        let params = try fnParams()
        _ = try expect(.arrow, "before the return type (functions are 'fn f(x: real) -> real = ...')")
        let result = try sigType()
        let (body, end) = try definitionBody("function body")
        let def = FnDef(name: name, params: params, result: result, body: body, span: kw.span.to(end))
        return Stmt(.fn(def), span: def.span)
    }

    /// dist_def = "dist" identifier "(" [ fn_params ] ")" "on" sig_type "{" logpdf_def { dist_extra } "}" ;
    /// logpdf_def = "logpdf" "(" identifier ")" ( "=" expr | block ) ;
    /// dist_extra = cdf_def | rng_def ;
    /// cdf_def = ( "lcdf" | "lccdf" ) "(" identifier ")" ( "=" expr | block ) ;
    /// rng_def = "rng" "(" [ rng_param { "," rng_param } ] ")" ( "=" expr | block ) ;
    private mutating func distDef() throws -> Stmt {
        let kw = advance()
        let name = try expectIdentifier("after 'dist'")
        let params = try fnParams()
        guard at(.on) else { throw fail("expected 'on' and the support type after the parameters, found \(kind)",
                                        help: "distributions are 'dist d(a: real) on real { logpdf(x) = ... }'") }
        _ = advance()
        let support = try sigType()
        _ = try expect(.lbrace, "to open the distribution's body")
        skipNewlines()
        guard case .identifier("logpdf") = kind else {
            throw fail("expected 'logpdf(NAME) = ...' in the distribution's body, found \(kind)")
        }
        let logpdf = try distFunction("logpdf")
        var cdfs: [String: DistFunction] = [:]
        var rng: DistRng?
        skipNewlines()
        while case .identifier(let f) = kind {
            if f == "rng" {
                if rng != nil { throw fail("'rng' is defined twice in '\(name.name)'") }
                rng = try rngDef()
                skipNewlines()
                continue
            }
            guard f == "lcdf" || f == "lccdf" else {
                throw fail("expected 'lcdf(NAME) = ...', 'lccdf(NAME) = ...', 'rng() = ...' or '}' in the distribution's body, found \(kind)")
            }
            if cdfs[f] != nil { throw fail("'\(f)' is defined twice in '\(name.name)'") }
            cdfs[f] = try distFunction(f)
            skipNewlines()
        }
        let close = try expect(.rbrace, "to close the distribution's body")
        let def = DistDef(name: name, params: params, support: support, variate: logpdf.variate, body: logpdf.body,
                          lcdf: cdfs["lcdf"], lccdf: cdfs["lccdf"], rng: rng, span: kw.span.to(close.span))
        return Stmt(.dist(def), span: def.span)
    }

    /// `rng(...) = ...`, at its name. rng_param = identifier [ ":" sig_type ] : a parameter
    /// of the distribution by its name, or an extra one with its type.
    private mutating func rngDef() throws -> DistRng {
        let start = advance()
        _ = try expect(.lparen, "after 'rng'")
        var params: [Param] = [], own: [Bool] = []
        while !at(.rparen) {
            let n = try expectIdentifier("for a parameter of 'rng'")
            if accept(.colon) {
                params.append(Param(name: n, type: try sigType()))
                own.append(false)
            } else {
                params.append(Param(name: n, type: TypeExpr(base: .real, bounds: [], sizes: [], span: n.span)))
                own.append(true)
            }
            if !accept(.comma) { break }
        }
        _ = try expect(.rparen, "to close the parameter list of 'rng'")
        let (body, end) = try definitionBody("rng")
        return DistRng(params: params, own: own, body: body, span: start.span.to(end))
    }

    /// `logpdf(x) = ...`, `lcdf(x) = ...` or `lccdf(x) = ...`, at its name.
    private mutating func distFunction(_ what: String) throws -> DistFunction {
        _ = advance()
        _ = try expect(.lparen, "after '\(what)'")
        let variate = try expectIdentifier("for the variate")
        _ = try expect(.rparen, "after the variate")
        let (body, _) = try definitionBody(what)
        return DistFunction(variate: variate, body: body)
    }

    private mutating func definitionBody(_ what: String) throws -> (Body, SourceSpan) {
        if accept(.assign) {
            let e = try expr()
            return (.expr(e), e.span)
        }
        guard at(.lbrace) else { throw fail("expected '=' or '{' to start the \(what), found \(kind)") }
        let (stmts, end) = try block(inFunction: true)
        return (.block(stmts), end)
    }

    /// fn_params = fn_param { "," fn_param } ;  fn_param = identifier ":" sig_type ;
    private mutating func fnParams() throws -> [Param] {
        _ = try expect(.lparen, "to open the parameter list")
        var params: [Param] = []
        while !at(.rparen) {
            let n = try expectIdentifier("for a parameter")
            _ = try expect(.colon, "after the parameter name (parameters are 'NAME: TYPE')")
            params.append(Param(name: n, type: try sigType()))
            if !accept(.comma) { break }
        }
        _ = try expect(.rparen, "to close the parameter list")
        return params
    }

    /// guide_decl = "guide" identifier [ "=" identifier ] [ guide_body ] ;
    private mutating func guideDecl() throws -> Stmt {
        let kw = advance()
        let name = try expectIdentifier("after 'guide'")
        var family: Identifier?
        if accept(.assign) { family = try expectIdentifier("of a guide family after '='") }
        var entries: [GuideEntry] = []
        var end = family?.span ?? name.span
        if at(.lbrace) { (entries, end) = try guideBody() }
        let decl = GuideDecl(name: name, family: family, entries: entries, span: kw.span.to(end))
        return Stmt(.guide(decl), span: decl.span)
    }

    /// guide_body = "{" [ guide_entry { ("," | newline) guide_entry } [","] ] "}" ;
    /// guide_entry = identifier "=" guide_value ; returns the entries and the closing brace's span.
    private mutating func guideBody() throws -> ([GuideEntry], SourceSpan) {
        _ = advance()
        skipNewlines()
        var entries: [GuideEntry] = []
        while !at(.rbrace) {
            let key = try expectIdentifier("for a guide key")
            _ = try expect(.assign, "after the guide key '\(key.name)'")
            let start = current.span
            let v = try guideValue()
            entries.append(GuideEntry(key: key, value: v, valueSpan: start.to(tokens[pos - 1].span)))
            let sep = accept(.comma)
            let hadNewline = kind == .newline
            skipNewlines()
            if !sep && !hadNewline && !at(.rbrace) {
                throw fail("expected ',' or '}' in the guide block, found \(kind)")
            }
        }
        return (entries, advance().span)
    }

    /// guide_value = [ "-" ] int_literal | [ "-" ] real_literal | identifier [ guide_body ] | "on"
    ///             | "[" [ guide_value { "," guide_value } ] "]" ;
    private mutating func guideValue() throws -> GuideValue {
        let negative = accept(.minus)
        switch kind {
        case .intLiteral(let v): _ = advance(); return .int(negative ? -v : v)
        case .realLiteral(let v): _ = advance(); return .real(negative ? -v : v)
        case .identifier(let s) where !negative:
            _ = advance()
            guard at(.lbrace) else { return .name(s) }
            let (entries, _) = try guideBody()
            return .block(s, entries.map { ($0.key.name, $0.value) })
        case .keyword(.on) where !negative: _ = advance(); return .name(Keyword.on.rawValue)
        case .symbol(.lbracket) where !negative:
            _ = advance()
            var items: [GuideValue] = []
            while !at(.rbracket) {
                items.append(try guideValue())
                if !accept(.comma) { break }
            }
            _ = try expect(.rbracket, "to close the list")
            return .list(items)
        default:
            throw fail("expected a number, a name or a list as guide value, found \(kind)")
        }
    }

    /// import_decl = "import" string_literal ;
    private mutating func importDecl() throws -> Stmt {
        let kw = advance()
        guard case .stringLiteral(let path) = kind else {
            throw fail("expected a quoted path after 'import', found \(kind)", help: "write 'import \"lib.ppl\"'")
        }
        let t = advance()
        return Stmt(.import_(path), span: kw.span.to(t.span))
    }

    // MARK: - Types

    /// type = "array" "[" expr { "," expr } "]" element_type | element_type ;
    /// element_type = base_type [ bounds ] [ sizes ] ;
    private mutating func type() throws -> TypeExpr {
        let start = current.span
        guard atArray else { return try elementType() }
        _ = advance()
        _ = advance()
        var dims: [Expr] = []
        repeat {
            if at(.rbracket) { throw fail("expected a size, found ']'", help: "an array declares its sizes: 'array[N] real'") }
            dims.append(try expr())
        } while accept(.comma)
        _ = try expect(.rbracket, "to close the array's sizes")
        if atArray { throw fail("write the sizes of a multi-dimensional array together: 'array[N, M] real'") }
        var t = try elementType()
        if t.isArray {
            throw fail("the element type of an array has no array sizes", at: t.span,
                       help: "write the sizes together: 'array[N, M] \(t.base.rawValue)'")
        }
        t.arrayDims = dims
        t.arrayRank = dims.count
        t.arraySyntax = true
        t.span = start.to(t.span)
        return t
    }

    /// `array` followed by `[`: the word is contextual, so it may still name a variable.
    private var atArray: Bool { kind == .identifier("array") && peekKind(1) == .symbol(.lbracket) }

    /// element_type = base_type [ bounds ] [ sizes ] ;  (`int[N]`, `real[N, M]`: old array spellings)
    private mutating func elementType() throws -> TypeExpr {
        let start = current.span
        let base = try baseType()
        var bounds: [Bound] = []
        if at(.lt) {
            // bounds = "<" bound { "," bound } ">" ;
            // bound = ( "lower" | "upper" | "offset" | "multiplier" ) "=" additive_expr ;
            _ = advance()
            repeat {
                guard case .identifier(let k) = kind, let bk = Bound.Kind(rawValue: k) else {
                    throw fail("expected 'lower=', 'upper=', 'offset=' or 'multiplier=' in the angle brackets, found \(kind)")
                }
                let kt = advance()
                _ = try expect(.assign, "after '\(k)'")
                let value = try additive()
                if bounds.contains(where: { $0.kind == bk }) {
                    sink.error("'\(k)' bound given twice", at: kt.span.to(value.span))
                }
                bounds.append(Bound(kind: bk, value: value, span: kt.span.to(value.span)))
            } while accept(.comma)
            if at(.ge) {
                throw fail("'>=' here reads as one token", help: "put a space between '>' and '='")
            }
            _ = try expect(.gt, "to close the bounds")
        }
        var sizes: [Expr] = []
        if at(.lbracket) {
            // sizes = "[" expr { "," expr } "]" ;
            _ = advance()
            repeat { sizes.append(try expr()) } while accept(.comma)
            _ = try expect(.rbracket, "to close the sizes")
        }
        let span = start.to(tokens[pos - 1].span)
        if base == .int || base == .real, !sizes.isEmpty {
            return TypeExpr(base: base, bounds: bounds, sizes: [], arrayDims: sizes, arrayRank: sizes.count, span: span)
        }
        return TypeExpr(base: base, bounds: bounds, sizes: sizes, span: span)
    }

    /// base_type = "int" | "real" | "vector" | "row_vector" | "matrix" | "simplex" | "ordered" | "positive_ordered"
    ///           | "cholesky_factor_corr" | "cholesky_factor_cov" | "corr_matrix" | "cov_matrix" ;
    private mutating func baseType() throws -> BaseType {
        if case .keyword(let k) = kind, let b = BaseType(rawValue: k.rawValue) {
            _ = advance()
            return b
        }
        if case .identifier(let name) = kind {
            if name == "array" {
                throw fail("expected '[' after 'array'", help: "arrays are written 'array[N] real', 'array[N, M] vector[K]'")
            }
            let help = closest(to: name, in: ["array"] + BaseType.allCases.map(\.rawValue)).map { "did you mean '\($0)'?" }
            throw fail("unknown type '\(name)'", help: help)
        }
        throw fail("expected a type, found \(kind)")
    }

    /// sig_type = "array" "[" { "," } "]" sig_element | sig_element ;
    /// sig_element = ( "int" | "real" ) [ "[" { "," } "]" ] | "vector" | "row_vector" | "matrix" ;
    private mutating func sigType() throws -> TypeExpr {
        let start = current.span
        var rank = 0
        let arraySyntax = atArray
        if arraySyntax {
            _ = advance()
            rank = try sigDims()
        }
        let base = try baseType()
        if at(.lt) { throw fail("bounds are not allowed in function and distribution signatures") }
        if at(.lbracket) {
            guard base == .int || base == .real, !arraySyntax, peekKind(1) == .symbol(.rbracket) || peekKind(1) == .symbol(.comma) else {
                throw fail("sizes are not allowed in signatures", help: "write the type without a size, e.g. 'vector' or 'int[]'")
            }
            rank = try sigDims()
        }
        return TypeExpr(base: base, bounds: [], sizes: [], arrayRank: rank, arraySyntax: arraySyntax,
                        span: start.to(tokens[pos - 1].span))
    }

    /// "[" { "," } "]": the rank of an array in a signature.
    private mutating func sigDims() throws -> Int {
        _ = try expect(.lbracket, "after 'array'")
        var rank = 1
        while accept(.comma) { rank += 1 }
        guard at(.rbracket) else {
            throw fail("sizes are not allowed in signatures", help: "write the array without sizes: 'array[] real', 'array[,] real'")
        }
        _ = advance()
        return rank
    }

    // MARK: - Expressions

    private mutating func nested<T>(_ f: (inout Parser) throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        if depth > Parser.maxDepth { throw fail("expression is nested too deeply") }
        return try f(&self)
    }

    /// expr = ternary_expr ;
    public mutating func expr() throws -> Expr { try nested { try $0.ternary() } }

    /// ternary_expr = or_expr [ "?" expr ":" ternary_expr ] ;
    private mutating func ternary() throws -> Expr {
        let cond = try binaryLevel(0)
        guard accept(.question) else { return cond }
        let a = try expr()
        _ = try expect(.colon, "in the conditional expression 'c ? a : b'")
        let b = try nested { try $0.ternary() }
        return Expr(.ternary(cond, a, b), span: cond.span.to(b.span))
    }

    /// or_expr, and_expr, equality_expr, comparison_expr, additive_expr, multiplicative_expr:
    /// left-associative binary levels, lowest first.
    private static let levels: [[Symbol: BinaryOp]] = [
        [.or: .or],
        [.and: .and],
        [.eq: .eq, .ne: .ne],
        [.lt: .lt, .le: .le, .gt: .gt, .ge: .ge],
        [.plus: .add, .minus: .sub],
        [.star: .mul, .slash: .div, .dotStar: .elemMul, .dotSlash: .elemDiv],
    ]

    private mutating func binaryLevel(_ level: Int) throws -> Expr {
        if level == Parser.levels.count { return try unary() }
        var lhs = try binaryLevel(level + 1)
        var chain = 0
        while case .symbol(let s) = kind, let op = Parser.levels[level][s] {
            _ = advance()
            // `>` also closes type bounds, so the lexer keeps the newline after it.
            while kind == .newline { _ = advance() }
            chain += 1
            if chain > Parser.maxChain { throw fail("expression is too long", help: "split it into several 'let's") }
            let rhs = try nested { try $0.binaryLevel(level + 1) }
            lhs = Expr(.binary(op, lhs, rhs), span: lhs.span.to(rhs.span))
        }
        return lhs
    }

    /// additive_expr, used where `<` and `>` must not be read as comparisons (bounds, ranges).
    private mutating func additive() throws -> Expr { try nested { try $0.binaryLevel(4) } }

    /// unary_expr = ( "-" | "!" | "+" ) unary_expr | power_expr ;
    private mutating func unary() throws -> Expr {
        let start = current.span
        let op: UnaryOp
        switch kind {
        case .symbol(.minus): op = .neg
        case .symbol(.bang): op = .not
        case .symbol(.plus): op = .plus
        default: return try power()
        }
        _ = advance()
        let e = try nested { try $0.unary() }
        return Expr(.unary(op, e), span: start.to(e.span))
    }

    /// power_expr = postfix_expr [ "^" unary_expr ] ;  (right-associative)
    private mutating func power() throws -> Expr {
        let base = try postfix()
        guard accept(.caret) else { return base }
        let exp = try nested { try $0.unary() }
        return Expr(.binary(.pow, base, exp), span: base.span.to(exp.span))
    }

    /// postfix_expr = primary_expr { "'" | "[" index_list "]" } ;
    private mutating func postfix() throws -> Expr {
        var e = try primary()
        while true {
            if at(.quote) {
                let q = advance()
                e = Expr(.transpose(e), span: e.span.to(q.span))
            } else if at(.lbracket) {
                _ = advance()
                let idx = try indexList()
                let close = try expect(.rbracket, "to close the index")
                e = Expr(.index(e, idx), span: e.span.to(close.span))
            } else {
                return e
            }
        }
    }

    /// index_list = index { "," index } ;  index = expr | [ expr ] ":" [ expr ] ;
    private mutating func indexList() throws -> [IndexArg] {
        var out: [IndexArg] = []
        repeat {
            if at(.rbracket) { throw fail("expected an index, found ']'") }
            if accept(.colon) {
                let hi = at(.comma) || at(.rbracket) ? nil : try additive()
                out.append(.range(nil, hi))
            } else {
                let lo = try expr()
                if accept(.colon) {
                    let hi = at(.comma) || at(.rbracket) ? nil : try additive()
                    out.append(.range(lo, hi))
                } else {
                    out.append(.single(lo))
                }
            }
        } while accept(.comma)
        return out
    }

    /// primary_expr = int_literal | real_literal | identifier | call | "(" expr ")" | array_expr ;
    private mutating func primary() throws -> Expr {
        let t = current
        switch t.kind {
        case .intLiteral(let v): _ = advance(); return Expr(.intLiteral(v), span: t.span)
        case .realLiteral(let v): _ = advance(); return Expr(.realLiteral(v), span: t.span)
        case .identifier(let name):
            _ = advance()
            if at(.lparen) { return try call(Identifier(name, span: t.span)) }
            return Expr(.name(name), span: t.span)
        case .symbol(.lparen):
            _ = advance()
            let e = try expr()
            _ = try expect(.rparen, "to close '('")
            return e
        case .symbol(.lbracket):
            // array_expr = "[" expr { "," expr } "]" ;
            _ = advance()
            let items = try exprList(until: .rbracket)
            let close = try expect(.rbracket, "to close '['")
            if items.isEmpty { throw fail("an empty '[]' has no type", at: t.span.to(close.span)) }
            return Expr(.array(items), span: t.span.to(close.span))
        case .keyword(.target):
            throw fail("'target' can only be incremented", help: "write 'target += EXPR'")
        case .keyword(let k):
            throw fail("'\(k.rawValue)' is a reserved word and cannot be used in an expression")
        case .newline, .eof:
            throw fail("expected an expression, found \(t.kind)")
        default:
            throw fail("expected an expression, found \(t.kind)")
        }
    }

    /// call = identifier "(" [ call_args | dist_args ] ")" ;
    /// dist_args = expr [ "|" [ expr { "," expr } ] ] ;
    private mutating func call(_ name: Identifier) throws -> Expr {
        _ = advance()
        var args: [Expr] = []
        var conditional = false
        if !at(.rparen) {
            args.append(try expr())
            if accept(.bar) {
                conditional = true
                if !at(.rparen) { args += try exprList(until: .rparen) }
            } else if accept(.comma) {
                args += try exprList(until: .rparen)
            }
        }
        let close = try expect(.rparen, "to close the arguments of '\(name.name)'")
        return Expr(.call(name, args, conditional: conditional), span: name.span.to(close.span))
    }

    /// call_args = expr { "," expr } ;
    private mutating func exprList(until end: Symbol) throws -> [Expr] {
        var out: [Expr] = []
        if at(end) { return out }
        repeat { out.append(try expr()) } while accept(.comma)
        return out
    }
}
