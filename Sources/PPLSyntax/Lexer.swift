/// Turns source bytes into tokens (`grammar/ppl.ebnf`: identifier, int_literal,
/// real_literal, string_literal, comment, newline).
///
/// Newlines are tokens only where they can end a statement: not inside `(` or `[`,
/// and not after a token that cannot end an expression (statement_end).
public struct Lexer {
    private let file: SourceFile
    private let bytes: [UInt8]
    private var pos = 0
    private var brackets: [Symbol] = []
    private let sink: DiagnosticSink

    public init(file: SourceFile, sink: DiagnosticSink) {
        self.file = file
        self.bytes = file.bytes
        self.sink = sink
    }

    public static func tokenize(_ file: SourceFile, sink: DiagnosticSink) -> [Token] {
        var lexer = Lexer(file: file, sink: sink)
        return lexer.run()
    }

    mutating func run() -> [Token] {
        var tokens: [Token] = []
        while true {
            let t = next()
            if t.kind == .newline {
                if brackets.last == .lparen || brackets.last == .lbracket { continue }
                switch tokens.last?.kind {
                case nil, .newline?: continue
                case .symbol(let s)? where s.continuesLine: continue
                default: break
                }
            }
            if case .symbol(let s) = t.kind {
                switch s {
                case .lparen, .lbracket, .lbrace: brackets.append(s)
                case .rparen, .rbracket, .rbrace: if !brackets.isEmpty { brackets.removeLast() }
                default: break
                }
            }
            tokens.append(t)
            if t.kind == .eof { return tokens }
        }
    }

    private func peek(_ k: Int = 0) -> UInt8 {
        pos + k < bytes.count ? bytes[pos + k] : 0
    }

    private func span(_ start: Int) -> SourceSpan { SourceSpan(file: file, start: start, end: pos) }

    private static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95
    }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    private mutating func next() -> Token {
        let triviaStart = pos
        if skipTrivia() {
            // A block comment that spans lines ends the statement like a newline.
            return Token(kind: .newline, span: SourceSpan(file: file, start: triviaStart, end: pos))
        }
        let start = pos
        guard pos < bytes.count else { return Token(kind: .eof, span: span(start)) }
        let c = bytes[pos]
        if c == 10 {
            pos += 1
            return Token(kind: .newline, span: SourceSpan(file: file, start: start, end: pos))
        }
        if Lexer.isIdentStart(c) {
            while pos < bytes.count, Lexer.isIdentStart(bytes[pos]) || Lexer.isDigit(bytes[pos]) { pos += 1 }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            if let k = Keyword(rawValue: text) { return Token(kind: .keyword(k), span: span(start)) }
            return Token(kind: .identifier(text), span: span(start))
        }
        if Lexer.isDigit(c) || (c == 46 && Lexer.isDigit(peek(1))) { return number(start) }
        if c == 34 { return string(start) }
        for len in [3, 2, 1] where pos + len <= bytes.count {
            let text = String(decoding: bytes[pos..<pos + len], as: UTF8.self)
            if let s = Symbol(rawValue: text) {
                pos += len
                return Token(kind: .symbol(s), span: span(start))
            }
        }
        // Skip one whole UTF-8 sequence so the caret covers the character.
        pos += 1
        while pos < bytes.count, bytes[pos] & 0xC0 == 0x80 { pos += 1 }
        let shown: String
        if c >= 32 && c < 127 {
            shown = "'\(Character(Unicode.Scalar(c)))'"
        } else if c >= 0xC0, let scalar = String(validating: bytes[start..<pos], as: UTF8.self)?.unicodeScalars.first {
            shown = "'\(scalar)' (U+\(String(scalar.value, radix: 16, uppercase: true)))"
        } else {
            shown = "byte 0x\(String(c, radix: 16, uppercase: true))"
        }
        sink.error("unexpected character \(shown)", at: span(start))
        return Token(kind: .invalid, span: span(start))
    }

    /// Skips blanks and comments; true when a block comment contained a newline.
    private mutating func skipTrivia() -> Bool {
        var newline = false
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 32 || c == 9 || c == 13 || c == 12 {
                pos += 1
            } else if c == 92, peek(1) == 10 || (peek(1) == 13 && peek(2) == 10) {
                // A backslash before the newline continues the line explicitly.
                pos += peek(1) == 10 ? 2 : 3
            } else if c == 47, peek(1) == 47 {
                while pos < bytes.count, bytes[pos] != 10 { pos += 1 }
            } else if c == 47, peek(1) == 42 {
                let start = pos
                pos += 2
                while pos < bytes.count, !(bytes[pos] == 42 && peek(1) == 47) {
                    if bytes[pos] == 10 { newline = true }
                    pos += 1
                }
                if pos >= bytes.count {
                    sink.error("unterminated block comment", at: SourceSpan(file: file, start: start, end: start + 2),
                               help: "close it with '*/'")
                } else {
                    pos += 2
                }
            } else {
                return newline
            }
        }
        return newline
    }

    /// int_literal and real_literal: `3`, `3.0`, `.5`, `1e-3`, `2.5E+4`, `3.`.
    private mutating func number(_ start: Int) -> Token {
        var isReal = false
        while Lexer.isDigit(peek()) { pos += 1 }
        if peek() == 46, peek(1) != 42, peek(1) != 47 {
            isReal = true
            pos += 1
            while Lexer.isDigit(peek()) { pos += 1 }
        }
        if peek() == 101 || peek() == 69 {
            let sign = peek(1) == 43 || peek(1) == 45 ? 1 : 0
            if Lexer.isDigit(peek(1 + sign)) {
                isReal = true
                pos += 1 + sign
                while Lexer.isDigit(peek()) { pos += 1 }
            }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if Lexer.isIdentStart(peek()) {
            while Lexer.isIdentStart(peek()) || Lexer.isDigit(peek()) { pos += 1 }
            sink.error("invalid number '\(String(decoding: bytes[start..<pos], as: UTF8.self))'", at: span(start))
            return Token(kind: .invalid, span: span(start))
        }
        if isReal {
            guard let v = Double(text), v.isFinite else {
                sink.error("real literal '\(text)' is out of range", at: span(start))
                return Token(kind: .realLiteral(0), span: span(start))
            }
            return Token(kind: .realLiteral(v), span: span(start))
        }
        guard let v = Int(text), v <= Int(Int32.max) * 1024 else {
            sink.error("integer literal '\(text)' is too large", at: span(start), help: "write it as a real, e.g. '\(text).0'")
            return Token(kind: .intLiteral(0), span: span(start))
        }
        return Token(kind: .intLiteral(v), span: span(start))
    }

    private mutating func string(_ start: Int) -> Token {
        pos += 1
        while pos < bytes.count, bytes[pos] != 34, bytes[pos] != 10 { pos += 1 }
        guard peek() == 34 else {
            sink.error("unterminated string", at: span(start), help: "close it with '\"' on the same line")
            return Token(kind: .invalid, span: span(start))
        }
        pos += 1
        let text = String(decoding: bytes[start + 1..<pos - 1], as: UTF8.self)
        return Token(kind: .stringLiteral(text), span: span(start))
    }
}
