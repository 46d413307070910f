/// A tag read as a semantic version for `--latest N`: `1.2.3`, `v1.2`, `2`, `1.2.3-rc.1`.
/// Tags that are not versions (`latest`, `main`, `sha-abc`) do not take part.
public struct SemanticVersion: Comparable, Sendable {
    public let numbers: [Int]
    /// Pre-release identifiers (`rc.1`); a release sorts above its pre-releases.
    public let prerelease: [String]

    public init?(tag: String) {
        var text = Substring(tag)
        if text.first == "v" || text.first == "V" { text = text.dropFirst() }
        text = text.prefix { $0 != "+" }  // build metadata does not order
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let core = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(core.count) else { return nil }
        var numbers: [Int] = []
        for component in core {
            guard !component.isEmpty, component.allSatisfy(\.isASCII), component.allSatisfy(\.isNumber),
                  let value = Int(component) else { return nil }
            numbers.append(value)
        }
        self.numbers = numbers
        if parts.count == 2 {
            guard !parts[1].isEmpty else { return nil }
            prerelease = parts[1].split(separator: ".").map(String.init)
        } else {
            prerelease = []
        }
    }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        let length = max(lhs.numbers.count, rhs.numbers.count)
        for index in 0..<length {
            let left = index < lhs.numbers.count ? lhs.numbers[index] : 0
            let right = index < rhs.numbers.count ? rhs.numbers[index] : 0
            if left != right { return left < right }
        }
        if lhs.prerelease.isEmpty != rhs.prerelease.isEmpty { return !lhs.prerelease.isEmpty }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case let (l?, r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return left < right
            }
        }
        if lhs.prerelease.count != rhs.prerelease.count { return lhs.prerelease.count < rhs.prerelease.count }
        // Equal versions written differently (1.2 and 1.2.0): more components sort higher, so the
        // order is total and stable.
        return lhs.numbers.count < rhs.numbers.count
    }

    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        lhs.numbers == rhs.numbers && lhs.prerelease == rhs.prerelease
    }
}
