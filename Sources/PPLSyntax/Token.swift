/// The tokens of `grammar/ppl.ebnf`.
public enum TokenKind: Equatable, Sendable {
    case identifier(String)
    case keyword(Keyword)
    case intLiteral(Int)
    case realLiteral(Double)
    case stringLiteral(String)
    case symbol(Symbol)
    case newline
    case eof
    /// A character that starts no token; the lexer has already reported it.
    case invalid
}

public enum Keyword: String, CaseIterable, Sendable {
    case data, param, `let`, fn, dist, guide, `import`, `for`, `in`, `if`, `else`, `return`, target, on
    case int, real, vector, row_vector, matrix, simplex, ordered, positive_ordered
    case cholesky_factor_corr, cholesky_factor_cov, corr_matrix, cov_matrix
}

public enum Symbol: String, CaseIterable, Sendable {
    case lparen = "(", rparen = ")", lbracket = "[", rbracket = "]", lbrace = "{", rbrace = "}"
    case comma = ",", semicolon = ";", colon = ":", question = "?", bar = "|", tilde = "~"
    case plus = "+", minus = "-", star = "*", slash = "/", caret = "^", dotStar = ".*", dotSlash = "./"
    case assign = "=", plusAssign = "+=", minusAssign = "-=", starAssign = "*=", slashAssign = "/="
    case dotStarAssign = ".*=", dotSlashAssign = "./=", eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case and = "&&", or = "||", bang = "!", quote = "'", arrow = "->"

    /// After these a newline does not end the statement (`grammar/ppl.ebnf`, statement_end).
    var continuesLine: Bool {
        switch self {
        // `>` also closes type bounds (`real<lower=0>`), which can end a declaration.
        case .rparen, .rbracket, .rbrace, .semicolon, .quote, .gt: return false
        default: return true
        }
    }
}

public struct Token: Sendable {
    public let kind: TokenKind
    public let span: SourceSpan
}

extension TokenKind: CustomStringConvertible {
    public var description: String {
        switch self {
        case .identifier(let s): return "identifier '\(s)'"
        case .keyword(let k): return "'\(k.rawValue)'"
        case .intLiteral(let v): return "'\(v)'"
        case .realLiteral(let v): return "'\(v)'"
        case .stringLiteral(let s): return "string \"\(s)\""
        case .symbol(let s): return "'\(s.rawValue)'"
        case .newline: return "end of line"
        case .eof: return "end of file"
        case .invalid: return "invalid character"
        }
    }
}
