/// A glob over repository paths: `*` matches within one path component, `**` across
/// components, `?` one character, `[abc]`/`[a-z]`/`[!x]` a character class.
///
///     PathGlob("team/*").matches("team/web")           // true
///     PathGlob("team/*").matches("team/workers/queue") // false
///     PathGlob("team/**").matches("team/workers/queue") // true
public struct PathGlob: Sendable, CustomStringConvertible {
    private enum Token: Sendable {
        case literal(Character)
        case any
        case anyAcrossComponents
        case one
        case set([ClosedRange<Character>], negated: Bool)
    }

    public let pattern: String
    private let tokens: [Token]

    public init(_ pattern: String) throws {
        self.pattern = pattern
        var tokens: [Token] = []
        var characters = Array(pattern)[...]
        while let character = characters.popFirst() {
            switch character {
            case "*":
                if characters.first == "*" {
                    characters.removeFirst()
                    tokens.append(.anyAcrossComponents)
                } else {
                    tokens.append(.any)
                }
            case "?":
                tokens.append(.one)
            case "[":
                var negated = false
                if characters.first == "!" || characters.first == "^" {
                    negated = true
                    characters.removeFirst()
                }
                var ranges: [ClosedRange<Character>] = []
                var closed = false
                while let member = characters.popFirst() {
                    if member == "]", !ranges.isEmpty {
                        closed = true
                        break
                    }
                    if characters.first == "-", characters.count >= 2, characters[characters.index(after: characters.startIndex)] != "]" {
                        characters.removeFirst()
                        let upper = characters.removeFirst()
                        guard member <= upper else { throw FilterError(value: pattern, reason: "the range \(member)-\(upper) is reversed") }
                        ranges.append(member...upper)
                    } else {
                        ranges.append(member...member)
                    }
                }
                guard closed else { throw FilterError(value: pattern, reason: "a '[' is not closed") }
                tokens.append(.set(ranges, negated: negated))
            case "\\":
                guard let escaped = characters.popFirst() else {
                    throw FilterError(value: pattern, reason: "ends with a lone '\\'")
                }
                tokens.append(.literal(escaped))
            default:
                tokens.append(.literal(character))
            }
        }
        self.tokens = tokens
    }

    public var description: String { pattern }

    public func matches(_ path: String) -> Bool {
        let text = Array(path)
        // memo[t][p]: whether tokens[t...] match text[p...]
        var memo = [[Bool?]](repeating: [Bool?](repeating: nil, count: text.count + 1), count: tokens.count + 1)
        func match(_ t: Int, _ p: Int) -> Bool {
            if let known = memo[t][p] { return known }
            let result: Bool
            if t == tokens.count {
                result = p == text.count
            } else {
                switch tokens[t] {
                case .literal(let character):
                    result = p < text.count && text[p] == character && match(t + 1, p + 1)
                case .one:
                    result = p < text.count && text[p] != "/" && match(t + 1, p + 1)
                case .set(let ranges, let negated):
                    result = p < text.count && text[p] != "/"
                        && ranges.contains { $0.contains(text[p]) } != negated && match(t + 1, p + 1)
                case .any:
                    result = match(t + 1, p) || (p < text.count && text[p] != "/" && match(t, p + 1))
                case .anyAcrossComponents:
                    result = match(t + 1, p) || (p < text.count && match(t, p + 1))
                }
            }
            memo[t][p] = result
            return result
        }
        return match(0, 0)
    }
}

/// A filter the user gave that cannot be used; names the value.
public struct FilterError: Error, CustomStringConvertible {
    public let value: String
    public let reason: String

    public init(value: String, reason: String) {
        self.value = value
        self.reason = reason
    }

    public var description: String { "invalid filter \"\(value)\": \(reason)" }
}
