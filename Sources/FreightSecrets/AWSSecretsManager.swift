import Foundation
import FreightCloud
import FreightCore

/// AWS Secrets Manager over its JSON protocol, signed with SigV4.
///
/// `put` writes a new version with `PutSecretValue`, or creates the secret with `CreateSecret`
/// when it does not exist. `delete` keeps the secret recoverable for `recoveryWindowDays` unless
/// forced. Secret names are validated before any request.
public struct AWSSecretsManager: SecretsProvider {
    public let api: AWSJSONClient
    /// 7-30 days, as AWS allows.
    public let recoveryWindowDays: Int

    public init(api: AWSJSONClient, recoveryWindowDays: Int = 30) {
        precondition(api.service == .secretsManager)
        precondition((7...30).contains(recoveryWindowDays), "AWS allows a recovery window of 7-30 days")
        self.api = api
        self.recoveryWindowDays = recoveryWindowDays
    }

    public var scheme: String { SecretReference.awsScheme }

    public func get(_ reference: SecretReference) async throws -> SecretVersion {
        let (name, version) = try Self.parts(reference)
        struct Input: Encodable {
            var SecretId: String
            var VersionStage: String?
            var VersionId: String?
        }
        struct Output: Decodable {
            var SecretString: String?
            var SecretBinary: String?
            var VersionId: String?
        }
        var input = Input(SecretId: name)
        switch version {
        case .stage(let stage)?: input.VersionStage = stage
        case .id(let id)?: input.VersionId = id
        case nil: break
        }
        let output = try await call("GetSecretValue", input, as: Output.self, reference: reference)
        if let string = output.SecretString {
            return SecretVersion(value: Secret(string), version: output.VersionId)
        }
        if let binary = output.SecretBinary, let data = Data(base64Encoded: binary), let text = String(data: data, encoding: .utf8) {
            return SecretVersion(value: Secret(text), version: output.VersionId)
        }
        throw SecretsError(.unsupported, "\(reference.withoutField) holds a binary value that is not UTF-8 text; freightliner reads text secrets")
    }

    public func put(_ reference: SecretReference, value: Secret) async throws -> PutOutcome {
        let (name, version) = try Self.parts(reference)
        guard version == nil, reference.field == nil else {
            throw SecretsError(.unsupported, "put stores a whole new version: name the secret alone (aws-sm://\(name)), without a version or #field")
        }
        try SecretValidation.validateValue(value)
        struct PutInput: Encodable {
            var SecretId: String
            var SecretString: String
            var ClientRequestToken: String
        }
        struct CreateInput: Encodable {
            var Name: String
            var SecretString: String
            var ClientRequestToken: String
        }
        struct Output: Decodable { var VersionId: String? }
        do {
            let output = try await call("PutSecretValue", PutInput(SecretId: name, SecretString: value.revealed,
                                                                   ClientRequestToken: UUID().uuidString.lowercased()),
                                        as: Output.self, reference: reference, value: value)
            return PutOutcome(created: false, version: output.VersionId)
        } catch let error as SecretsError where error.kind == .notFound {
            let output = try await call("CreateSecret", CreateInput(Name: name, SecretString: value.revealed,
                                                                    ClientRequestToken: UUID().uuidString.lowercased()),
                                        as: Output.self, reference: reference, value: value)
            return PutOutcome(created: true, version: output.VersionId)
        }
    }

    public func delete(_ reference: SecretReference, force: Bool) async throws -> DeleteOutcome {
        let (name, version) = try Self.parts(reference)
        guard version == nil, reference.field == nil else {
            throw SecretsError(.unsupported, "rm deletes the whole secret: name it alone (aws-sm://\(name)), without a version or #field")
        }
        struct Input: Encodable {
            var SecretId: String
            var RecoveryWindowInDays: Int?
            var ForceDeleteWithoutRecovery: Bool?
        }
        struct Output: Decodable { var DeletionDate: Double? }
        let input = force ? Input(SecretId: name, ForceDeleteWithoutRecovery: true)
            : Input(SecretId: name, RecoveryWindowInDays: recoveryWindowDays)
        let output = try await call("DeleteSecret", input, as: Output.self, reference: reference)
        if force { return .deleted }
        let date = output.DeletionDate.map { Date(timeIntervalSince1970: $0) } ?? Date().addingTimeInterval(Double(recoveryWindowDays) * 86_400)
        return .scheduled(date)
    }

    public func list(_ prefix: SecretPrefix) async throws -> [SecretReference] {
        guard case .aws(let namePrefix) = prefix.location else {
            throw SecretsError(.unsupported, "\(prefix) is not an AWS Secrets Manager prefix")
        }
        struct Filter: Encodable {
            var Key: String
            var Values: [String]
        }
        struct Input: Encodable {
            var MaxResults: Int
            var NextToken: String?
            var Filters: [Filter]?
        }
        struct Output: Decodable {
            struct Entry: Decodable { var Name: String? }
            var SecretList: [Entry]?
            var NextToken: String?
        }
        var names: [String] = []
        var next: String?
        repeat {
            let input = Input(MaxResults: 100, NextToken: next,
                              Filters: namePrefix.isEmpty ? nil : [Filter(Key: "name", Values: [namePrefix])])
            let output = try await api.call("ListSecrets", input, as: Output.self, subject: "secrets under \(prefix)")
            // The service's name filter also matches words inside names; keep true prefixes only.
            names += (output.SecretList ?? []).compactMap(\.Name).filter { $0.hasPrefix(namePrefix) }
            next = output.NextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while next != nil
        return names.sorted().map { SecretReference(location: .aws(name: $0, version: nil)) }
    }

    private static func parts(_ reference: SecretReference) throws -> (String, SecretReference.AWSVersion?) {
        guard case .aws(let name, let version) = reference.location else {
            throw SecretsError(.unsupported, "\(reference) is not an AWS Secrets Manager reference")
        }
        return (name, version)
    }

    /// One API call, with errors turned into what a user needs to read: a missing secret is a
    /// `SecretsError(.notFound)`, and a value echoed by the service never reaches a message.
    private func call<Input: Encodable, Output: Decodable>(_ operation: String, _ input: Input, as output: Output.Type,
                                                           reference: SecretReference, value: Secret? = nil) async throws -> Output {
        let subject = "secret \(reference.withoutField)"
        do {
            return try await api.call(operation, input, as: output, subject: subject)
        } catch let error as AWSServiceError {
            var message = error.message
            if let value, !value.isEmpty { message = message.replacingOccurrences(of: value.revealed, with: Secret.placeholder) }
            if error.isNotFound {
                throw SecretsError(.notFound, "\(reference.withoutField) does not exist in AWS Secrets Manager (\(api.region), "
                                   + "\(api.endpoint.url)) or has no such version (\(error.code))")
            }
            // AWS says "marked for deletion", moto "marked deleted".
            if error.code == "InvalidRequestException", message.lowercased().contains("marked"), message.lowercased().contains("delet") {
                throw SecretsError(.unsupported, "\(reference.withoutField) is scheduled for deletion: restore it "
                                   + "(aws secretsmanager restore-secret) or remove it for good with `freightliner secrets rm --force`")
            }
            throw AWSServiceError(service: error.service, operation: error.operation, status: error.status, code: error.code,
                                  message: message, subject: subject, accessKeyID: error.accessKeyID)
        }
    }
}
