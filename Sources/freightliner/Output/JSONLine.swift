import Foundation

/// Serializes the reporter's JSON objects: compact, keys sorted, `/` unescaped — what
/// `JSONSerialization` with `[.sortedKeys, .withoutEscapingSlashes]` writes — without going
/// through `NSDictionary` and `NSString` comparisons, which made the `--ui json` reporter about
/// a quarter of the CPU of a no-op sync of 1000 tags.
///
/// Values: `String`, `Bool`, `Int`, `Int64`, finite `Double`, `[Any]`, `[String: Any]`. Returns
/// nil for anything else (the summary, which comes back from `JSONSerialization` as NSNumbers):
/// the caller then uses `JSONSerialization`.
enum JSONLine {
    static func encode(_ object: [String: Any]) -> String? {
        var out = ""
        out.reserveCapacity(256)
        return write(object, into: &out) ? out : nil
    }

    private static func write(_ value: Any, into out: inout String) -> Bool {
        // Scalars by their exact type: casts would bridge (an NSNumber 1 casts to Bool and Int).
        let type = Swift.type(of: value)
        if type == String.self {
            writeString(value as! String, into: &out)
        } else if type == Bool.self {
            out += value as! Bool ? "true" : "false"
        } else if type == Int.self {
            out += String(value as! Int)
        } else if type == Int64.self {
            out += String(value as! Int64)
        } else if type == Double.self {
            let double = value as! Double
            guard double.isFinite else { return false }
            out += "\(double)"
        } else if let object = value as? [String: Any] {
            out += "{"
            var first = true
            for key in object.keys.sorted() {
                if !first { out += "," }
                first = false
                writeString(key, into: &out)
                out += ":"
                guard write(object[key]!, into: &out) else { return false }
            }
            out += "}"
        } else if let array = value as? [Any] {
            out += "["
            for (index, element) in array.enumerated() {
                if index > 0 { out += "," }
                guard write(element, into: &out) else { return false }
            }
            out += "]"
        } else {
            return false
        }
        return true
    }

    private static func writeString(_ string: String, into out: inout String) {
        out += "\""
        var pending = string.unicodeScalars.startIndex
        let scalars = string.unicodeScalars
        var index = pending
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case "\u{08}": escape = "\\b"
            case "\u{0C}": escape = "\\f"
            default:
                escape = scalar.value < 0x20 ? "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16) : nil
            }
            if let escape {
                out.unicodeScalars.append(contentsOf: scalars[pending..<index])
                out += escape
                pending = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        out.unicodeScalars.append(contentsOf: scalars[pending..<scalars.endIndex])
        out += "\""
    }
}
