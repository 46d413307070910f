import Foundation
import FreightCore

/// `#FIELD` extraction: the value must be a JSON object, and the field a string (numbers and
/// booleans are given in their JSON spelling). Errors name the reference and field, never the value.
public enum SecretField {
    public static func extract(_ field: String, from value: Secret, reference: SecretReference) throws -> Secret {
        let bytes = Data(value.revealed.utf8)
        guard let object = try? JSONDecoder().decode([String: Member].self, from: bytes) else {
            if (try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])) != nil {
                throw SecretsError(.field, "\(reference): the secret's value is JSON but not an object, so it has no field \"\(field)\"")
            }
            throw SecretsError(.field, "\(reference): the secret's value is not JSON, so it has no field \"\(field)\"; "
                               + "drop #\(field) to use the whole value")
        }
        guard let member = object[field] else {
            let names = object.keys.sorted().prefix(20).map { "\"\($0)\"" }.joined(separator: ", ")
            throw SecretsError(.field, "\(reference): the secret's JSON has no field \"\(field)\" (it has: \(names.isEmpty ? "no fields" : names))")
        }
        switch member {
        case .text(let text): return Secret(text)
        case .other(let kind): throw SecretsError(.field, "\(reference): field \"\(field)\" is \(kind), not a string")
        }
    }

    /// One member of the object: usable as text, or of a kind that is not.
    enum Member: Decodable {
        case text(String)
        case other(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .other("null"); return }
            if let string = try? container.decode(String.self) { self = .text(string); return }
            if let bool = try? container.decode(Bool.self) { self = .text(bool ? "true" : "false"); return }
            if let integer = try? container.decode(Int64.self) { self = .text(String(integer)); return }
            if let number = try? container.decode(Double.self) { self = .text(String(number)); return }
            if (try? container.decode([Member].self)) != nil { self = .other("a JSON array"); return }
            self = .other("a JSON object")
        }
    }
}
