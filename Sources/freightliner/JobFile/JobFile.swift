import ArgumentParser
import Foundation
import FreightCore
import Yams

/// A job file (`freightliner run JOBS.yaml`), read and checked: each job as the `sync` it is.
///
/// Every key of a job is a `sync` option under its long name (`include`, `exclude-tags`,
/// `prune-max`, `src-cert-dir`, …), or a nested spelling of a few of them (`tags: {include,
/// exclude, latest}`, `prune: {repos, max}`, `compress: {algorithm, level, …}`, `referrers:
/// {types}`); `registries:` gives a host's TLS, login file, credentials secret and request rate
/// once, for every job that reads or writes it. Each value is checked by `sync`'s own parser, so
/// the file accepts exactly what the command line does, and an error names the file, line and key.
struct JobFile: Sendable {
    struct Job: Sendable {
        var name: String
        var line: Int
        /// Where the name is (or the job, for a default name).
        var nameColumn: Int
        var nameLine: Int
        var source: String
        var destination: String
        /// `sync` arguments: SRC DST and options, the file's defaults and registries merged in.
        var arguments: [String]
    }

    let path: String
    var jobs: [Job]
    /// `requests-per-second` of each registry that has one, by host.
    var requestsPerSecond: [String: Int]
}

/// A problem in a job file, at its place: `FILE:LINE:COLUMN: KEY: message`.
struct JobFileError: Error, CustomStringConvertible {
    let path: String
    let line: Int
    let column: Int
    let key: String?
    let message: String

    var description: String { "\(path):\(line):\(column): \(key.map { "\($0): " } ?? "")\(message)" }
}

/// Reads a job file; `overrides` are command-line options of `run` (as `sync` options) that win
/// over the file.
struct JobFileReader {
    let path: String
    var overrides: [(flag: String, value: String?)] = []

    /// The keys of a job that are `sync` options of their own name.
    static let optionKeys: Set<String> = [
        "include", "exclude", "exclude-tags", "latest", "force", "immutable-tags", "verify", "prune-repos", "prune-max",
        "compress-level", "compress-min-size", "compress-max-size", "compress-min-savings", "format", "platform",
        "no-referrers", "referrers-type", "src-creds-secret", "dest-creds-secret", "src-cert-dir", "dest-cert-dir",
        "src-tls-verify", "dest-tls-verify", "authfile", "src-authfile", "dest-authfile", "insecure-registry", "no-create-repos",
    ]
    /// Keys with a nested spelling, or a plural one.
    static let structuredKeys: Set<String> = ["repositories", "tags", "prune", "compress", "platforms", "referrers"]
    /// `sync` options that hold for the whole run (one scheduler): `defaults` only.
    static let runKeys: Set<String> = ["jobs", "limit-rate", "retries", "retry-times", "requests-per-second", "compress-threads"]
    /// `sync` options that are not for a file, and why.
    static let commandLineOnly: [String: String] = [
        "dry-run": "is an option of the command (freightliner run --dry-run), not of the file",
        "run-id": "is an option of the command (freightliner run --run-id), not of the file",
        "checkpoint-dir": "is an option of the command (freightliner run --checkpoint-dir), not of the file",
        "ui": "is an option of the command, not of the file", "quiet": "is an option of the command, not of the file",
        "verbose": "is an option of the command, not of the file", "debug": "is an option of the command, not of the file",
        "theme": "is an option of the command, not of the file", "theme-dir": "is an option of the command, not of the file",
        "exit-on-complete": "is an option of the command, not of the file",
        "keep-runs": "is an option of the command (freightliner serve --keep-runs; checkpoints prune for a run), not of the file",
        "metrics-listen": "is an option of the command (freightliner run --metrics-listen), not of the file",
        "shard": "is an option of the command (freightliner run --shard I/N), not of the file",
        "shard-by": "is an option of the command (freightliner run --shard-by), not of the file",
        "src-creds": "would keep a password in the file: give the registry a credentials-secret or an authfile",
        "dest-creds": "would keep a password in the file: give the registry a credentials-secret or an authfile",
        "repo": "is spelled repositories: [NAME, ...] in a job file",
    ]
    static let registryKeys: Set<String> = ["host", "insecure", "tls-verify", "cert-dir", "authfile", "credentials-secret", "credentials",
                                            "requests-per-second", "create-repos"]
    static let topKeys: Set<String> = ["version", "defaults", "registries", "jobs"]

    func read() throws -> JobFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JobFileError(path: path, line: 1, column: 1, key: nil, message: "cannot be read (no such file, or not readable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw JobFileError(path: path, line: 1, column: 1, key: nil, message: "is not UTF-8 text")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw JobFileError(path: path, line: 1, column: 1, key: nil, message: "is empty: it needs version: 1 and jobs:")
            }
            root = node
        } catch let error as YamlError {
            throw yamlProblem(error)
        }
        let top = try mapping(root, key: nil, allowed: Self.topKeys)
        guard let version = top["version"] else { throw problem(root, nil, "version: 1 is missing") }
        guard try scalar(version, "version") == "1" else { throw problem(version, "version", "only version 1 is known") }

        var hosts: [String: [(flag: String, value: String?, role: String?)]] = [:]
        var rates: [String: Int] = [:]
        if let registries = top["registries"] {
            for (index, entry) in try sequence(registries, "registries").enumerated() {
                let key = "registries[\(index)]"
                let (host, settings, rate) = try registry(entry, key: key)
                guard hosts[host] == nil else { throw problem(entry, key, "\(host) is listed twice") }
                hosts[host] = settings
                if let rate { rates[host] = rate }
            }
        }
        var defaults = Layer()
        if let node = top["defaults"] {
            defaults = try layer(node, key: "defaults", isDefaults: true)
        }
        guard let jobsNode = top["jobs"] else { throw problem(root, nil, "jobs: is missing (a list of source and destination)") }
        let entries = try sequence(jobsNode, "jobs")
        guard !entries.isEmpty else { throw problem(jobsNode, "jobs", "is empty") }
        var jobs: [JobFile.Job] = []
        for (index, entry) in entries.enumerated() {
            jobs.append(try job(entry, index: index, defaults: defaults, hosts: hosts))
        }
        var names: [String: Int] = [:]
        for (index, job) in jobs.enumerated() {
            if let earlier = names[job.name] {
                throw JobFileError(path: path, line: job.nameLine, column: job.nameColumn, key: "jobs[\(index)].name",
                                   message: "\"\(job.name)\" is also the name of jobs[\(earlier)]")
            }
            names[job.name] = index
        }
        return JobFile(path: path, jobs: jobs, requestsPerSecond: rates)
    }

    // MARK: Jobs

    /// The options one mapping gives, by key (so a job's key replaces the same key of defaults).
    struct Layer {
        var flags: [String: [(flag: String, value: String?)]] = [:]
    }

    private func job(_ node: Node, index: Int, defaults: Layer, hosts: [String: [(flag: String, value: String?, role: String?)]]) throws -> JobFile.Job {
        let key = "jobs[\(index)]"
        let fields = try mapping(node, key: key, allowed: Self.jobKeys(defaults: false).union(["name", "source", "destination"]))
        func text(_ name: String) throws -> String? { try fields[name].map { try scalar($0, "\(key).\(name)") } }
        let name = try text("name") ?? "job-\(index + 1)"
        if let nameNode = fields["name"],
           name.isEmpty || !name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }) {
            throw problem(nameNode, "\(key).name", "\"\(name)\" is not a name: letters, digits, '.', '_' and '-' only")
        }
        guard let sourceNode = fields["source"], let source = try text("source") else {
            throw problem(node, key, "source: is missing (HOST[:PORT][/PREFIX])")
        }
        guard let destinationNode = fields["destination"], let destination = try text("destination") else {
            throw problem(node, key, "destination: is missing (HOST[:PORT][/PREFIX])")
        }
        var sourcePrefix: RegistryPrefix?, destinationPrefix: RegistryPrefix?
        do { sourcePrefix = try RegistryPrefix(parsing: source) } catch { throw problem(sourceNode, "\(key).source", "\(error)") }
        do { destinationPrefix = try RegistryPrefix(parsing: destination) } catch {
            throw problem(destinationNode, "\(key).destination", "\(error)")
        }
        let own = try layer(node, key: key, isDefaults: false, skipping: ["name", "source", "destination"])
        // Precedence, lowest first: defaults, the registries, the job, the command line.
        var layers: [[String: [(flag: String, value: String?)]]] = [defaults.flags]
        var registry: [String: [(flag: String, value: String?)]] = [:]
        for (prefix, role) in [(sourcePrefix, "source"), (destinationPrefix, "destination")] {
            guard let host = prefix?.registry, let settings = hosts[host] else { continue }
            for setting in settings where setting.role == nil || setting.role == role {
                registry[setting.flag, default: []].append((setting.flag, setting.value))
            }
        }
        layers.append(registry)
        layers.append(own.flags)
        layers.append(["command line": overrides])
        var arguments = [source, destination]
        arguments += Self.merge(layers)
        try check(arguments, at: node, key: key)
        let nameMark = fields["name"]?.mark ?? node.mark
        return JobFile.Job(name: name, line: node.mark?.line ?? 1, nameColumn: nameMark?.column ?? 1, nameLine: nameMark?.line ?? 1,
                           source: source, destination: destination, arguments: arguments)
    }

    /// Every key a job (or, with `defaults`, the defaults) may hold.
    static func jobKeys(defaults: Bool) -> Set<String> {
        var keys = optionKeys.union(structuredKeys).union(runKeys).union(commandLineOnly.keys)
        if defaults { keys.remove("repositories") }
        return keys
    }

    /// Options in order of precedence: a later layer's option replaces an earlier one's, and a
    /// repeatable option's values come all from the latest layer that gives any.
    static func merge(_ layers: [[String: [(flag: String, value: String?)]]]) -> [String] {
        var chosen: [String: [(flag: String, value: String?)]] = [:]
        var order: [String] = []
        for layer in layers {
            for key in layer.keys.sorted() {
                for (flag, _) in layer[key] ?? [] where !order.contains(flag) { order.append(flag) }
            }
            var byFlag: [String: [(flag: String, value: String?)]] = [:]
            for key in layer.keys.sorted() { for item in layer[key] ?? [] { byFlag[item.flag, default: []].append(item) } }
            for (flag, items) in byFlag { chosen[flag] = repeatable.contains(flag) ? items : [items.last!] }
        }
        return order.flatMap { flag in (chosen[flag] ?? []).flatMap { [$0.flag] + ($0.value.map { [$0] } ?? []) } }
    }

    static let repeatable: Set<String> = ["--repo", "--include", "--exclude", "--platform", "--referrers-type", "--insecure-registry"]

    /// A job's (or the defaults') options, each key checked by `sync`'s own parser on its own.
    private func layer(_ node: Node, key: String, isDefaults: Bool, skipping: Set<String> = []) throws -> Layer {
        let fields = try mapping(node, key: key, allowed: Self.jobKeys(defaults: isDefaults).union(skipping))
        var layer = Layer()
        for (name, value) in fields.ordered where !skipping.contains(name) {
            let path = "\(key).\(name)"
            if let reason = Self.commandLineOnly[name] { throw problem(value, path, reason) }
            if Self.runKeys.contains(name), !isDefaults {
                throw problem(value, path, "holds for the whole run (one scheduler): set it under defaults, or on the command line")
            }
            let flags = try options(for: name, value, path: path)
            try check(["a.invalid", "b.invalid"] + flags.flatMap { [$0.flag] + ($0.value.map { [$0] } ?? []) }, at: value, key: path)
            layer.flags[name] = flags
        }
        return layer
    }

    /// The `sync` options a key stands for.
    private func options(for name: String, _ value: Node, path: String) throws -> [(flag: String, value: String?)] {
        switch name {
        case "repositories":
            return try list(value, path).map { ("--repo", $0) }
        case "include", "exclude", "platform", "platforms", "referrers-type", "insecure-registry":
            let flag = name == "platforms" ? "--platform" : "--\(name)"
            return try list(value, path).map { (flag, $0) }
        case "tags":
            if case .scalar = value { return [("--tags", try scalar(value, path))] }
            let fields = try mapping(value, key: path, allowed: ["include", "exclude", "latest"])
            var flags: [(flag: String, value: String?)] = []
            if let include = fields["include"] { flags.append(("--tags", try scalar(include, "\(path).include"))) }
            if let exclude = fields["exclude"] { flags.append(("--exclude-tags", try scalar(exclude, "\(path).exclude"))) }
            if let latest = fields["latest"] { flags.append(("--latest", try scalar(latest, "\(path).latest"))) }
            return flags
        case "prune":
            if case .scalar = value { return try bool(value, path) ? [("--prune", nil)] : [] }
            let fields = try mapping(value, key: path, allowed: ["repos", "max"])
            var flags: [(flag: String, value: String?)] = [("--prune", nil)]
            if let repos = fields["repos"], try bool(repos, "\(path).repos") { flags.append(("--prune-repos", nil)) }
            if let max = fields["max"] { flags.append(("--prune-max", try scalar(max, "\(path).max"))) }
            return flags
        case "compress":
            if case .scalar = value { return [("--compress", try scalar(value, path))] }
            let fields = try mapping(value, key: path, allowed: ["algorithm", "level", "min-size", "max-size", "min-savings"])
            var flags: [(flag: String, value: String?)] = []
            for (key, node) in fields.ordered {
                flags.append((key == "algorithm" ? "--compress" : "--compress-\(key)", try scalar(node, "\(path).\(key)")))
            }
            return flags
        case "referrers":
            if case .scalar = value { return try bool(value, path) ? [] : [("--no-referrers", nil)] }
            let fields = try mapping(value, key: path, allowed: ["types"])
            return try fields["types"].map { try list($0, "\(path).types").map { ("--referrers-type", $0) } } ?? []
        case "force", "verify", "prune-repos", "no-referrers", "no-create-repos":
            return try bool(value, path) ? [("--\(name)", nil)] : []
        default:
            return [("--\(name)", try scalar(value, path))]
        }
    }

    /// Whether `sync` takes these arguments; its own message, at the key's place, when not.
    private func check(_ arguments: [String], at node: Node, key: String) throws {
        let capture = BadInputCapture()
        do {
            try BadInputCapture.$current.withValue(capture) { _ = try SyncCommand.parse(arguments) }
        } catch {
            let message = capture.message ?? SyncCommand.message(for: error)
            throw problem(node, key, message.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces))
        }
    }

    // MARK: Registries

    private func registry(_ node: Node, key: String) throws -> (String, [(flag: String, value: String?, role: String?)], Int?) {
        let fields = try mapping(node, key: key, allowed: Self.registryKeys)
        guard let hostNode = fields["host"] else { throw problem(node, key, "host: is missing (HOST[:PORT])") }
        let host = try scalar(hostNode, "\(key).host")
        do {
            let prefix = try RegistryPrefix(parsing: host)
            guard prefix.prefix.isEmpty else { throw problem(hostNode, "\(key).host", "\"\(host)\" is not HOST[:PORT]: a registry, without a path") }
        } catch let error as JobFileError {
            throw error
        } catch {
            throw problem(hostNode, "\(key).host", "\(error)")
        }
        var settings: [(flag: String, value: String?, role: String?)] = []
        var checks: [(arguments: [String], node: Node, path: String)] = []
        func both(_ name: String, _ value: String?) { settings += [("--src-\(name)", value, "source"), ("--dest-\(name)", value, "destination")] }
        var rate: Int?
        for (name, value) in fields.ordered where name != "host" {
            let path = "\(key).\(name)"
            let before = settings.count
            defer {
                for setting in settings[before...] {
                    checks.append((["a.invalid", "b.invalid", setting.flag] + (setting.value.map { [$0] } ?? []), value, path))
                }
            }
            switch name {
            case "insecure":
                if try bool(value, path) { settings.append(("--insecure-registry", host, nil)) }
            case "tls-verify":
                both("tls-verify", try bool(value, path) ? "true" : "false")
            case "cert-dir":
                both("cert-dir", try scalar(value, path))
            case "authfile":
                both("authfile", try scalar(value, path))
            case "credentials-secret", "credentials":
                var reference: String
                if name == "credentials" {
                    let inner = try mapping(value, key: path, allowed: ["secret"])
                    guard let secret = inner["secret"] else { throw problem(value, path, "secret: is missing (aws-sm://… or gcp-sm://…)") }
                    reference = try scalar(secret, "\(path).secret")
                } else {
                    reference = try scalar(value, path)
                }
                both("creds-secret", reference)
            case "requests-per-second":
                let text = try scalar(value, path)
                guard let number = Int(text), number >= 1 else { throw problem(value, path, "must be a whole number of at least 1, got \"\(text)\"") }
                rate = number
            case "create-repos":
                if !(try bool(value, path)) { settings.append(("--no-create-repos", nil, "destination")) }
            default:
                break
            }
        }
        for (arguments, value, path) in checks { try check(arguments, at: value, key: path) }
        return (host, settings, rate)
    }

    // MARK: YAML shapes

    /// A mapping's fields by key, in the file's order too.
    struct Fields {
        var ordered: [(String, Node)] = []
        subscript(_ key: String) -> Node? { ordered.first { $0.0 == key }?.1 }
    }

    private func mapping(_ node: Node, key: String?, allowed: Set<String>) throws -> Fields {
        guard case .mapping(let mapping) = node else { throw problem(node, key, "must be a mapping (key: value lines), not \(kind(node))") }
        var fields = Fields()
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else { throw problem(keyNode, key, "a key must be a word, not \(kind(keyNode))") }
            let name = scalar.string
            let path = key.map { "\($0).\(name)" } ?? name
            guard allowed.contains(name) else {
                let hint = Self.nearest(name, in: allowed).map { "; did you mean \"\($0)\"?" } ?? ""
                throw problem(keyNode, path, "unknown key\(hint)")
            }
            fields.ordered.append((name, value))
        }
        return fields
    }

    private func sequence(_ node: Node, _ key: String) throws -> [Node] {
        guard case .sequence(let sequence) = node else { throw problem(node, key, "must be a list (- item lines), not \(kind(node))") }
        return Array(sequence)
    }

    private func scalar(_ node: Node, _ key: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw problem(node, key, "must be a single value, not \(kind(node))") }
        // A plain empty value (`key:` and nothing) is YAML's null: no value at all.
        guard !(scalar.string.isEmpty && scalar.style == .plain) && scalar.string != "~" else { throw problem(node, key, "has no value") }
        return scalar.string
    }

    /// One value or a list of them.
    private func list(_ node: Node, _ key: String) throws -> [String] {
        if case .scalar = node { return [try scalar(node, key)] }
        return try sequence(node, key).enumerated().map { try scalar($1, "\(key)[\($0)]") }
    }

    private func bool(_ node: Node, _ key: String) throws -> Bool {
        let text = try scalar(node, key)
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw problem(node, key, "must be true or false, got \"\(text)\"")
        }
    }

    private func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "the value \"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    private func problem(_ node: Node, _ key: String?, _ message: String) -> JobFileError {
        JobFileError(path: path, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, key: key, message: message)
    }

    private func yamlProblem(_ error: YamlError) -> JobFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return JobFileError(path: path, line: mark.line, column: mark.column, key: nil, message: "not YAML: \(problem)\(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return JobFileError(path: path, line: context.mark.line, column: context.mark.column, key: nil,
                                message: "\(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) given twice in one mapping")
        default:
            return JobFileError(path: path, line: 1, column: 1, key: nil, message: "not YAML: \(error)")
        }
    }

    /// The known key closest to a misspelt one, when one is close.
    static func nearest(_ word: String, in keys: Set<String>) -> String? {
        var best: (key: String, distance: Int)?
        for key in keys.sorted() {
            let distance = distance(word, key)
            if best == nil || distance < best!.distance { best = (key, distance) }
        }
        guard let best, best.distance <= max(2, word.count / 3) else { return nil }
        return best.key
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Catches what `fail()` would print (a value `validate()` refused), so a job file's check can
/// say it at the key's place instead.
final class BadInputCapture: @unchecked Sendable {
    @TaskLocal static var current: BadInputCapture?
    private let lock = NSLock()
    private var messages: [String] = []

    func record(_ message: String) { lock.withLock { messages.append(message) } }
    var message: String? { lock.withLock { messages.last } }
}
