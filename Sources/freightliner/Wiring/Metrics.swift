import ArgumentParser
import Foundation
import FreightCore
import FreightEngine
import FreightHTTP
import FreightMetrics
import FreightRegistry

/// The process's metrics, once `--metrics-listen` started them (nil otherwise: nothing counted).
/// Process-wide as a metrics backend is: every HTTP client and registry client made after
/// `MetricsOption.start()` reports to it.
enum ProcessMetrics {
    private static let installed = Locked<ReplicationMetrics?>(nil)

    static var current: ReplicationMetrics? { installed.value }

    fileprivate static func install(_ metrics: ReplicationMetrics) { installed.withLock { $0 = metrics } }

    /// Counts a run's events, each repository under its job's name.
    static func observe(_ events: EventBus, record: RunRecord, repositories: [RepositoryJob]) {
        guard let metrics = current else { return }
        let names = record.jobs?.map(\.name) ?? ["sync"]
        metrics.observe(events, jobs: names, jobOf: Dictionary(repositories.map { ($0.name, $0.job) }) { first, _ in first })
    }
}

/// Why a request was tried again, in a few words fit for a label.
enum RetryReason {
    static func of(_ error: any Error) -> String {
        switch error {
        case let error as RegistryError:
            return "status_\(error.status)"
        case let error as HTTPTransportError:
            switch error.code {
            case 7: return "connect"
            case 28: return "timeout"
            case 52: return "empty_reply"
            case 55, 56: return "connection_reset"
            case 16, 92: return "http2"
            case 18: return "truncated"
            default: return "transport"
            }
        default:
            return "other"
        }
    }
}

/// `--metrics-listen ADDR:PORT`, for the commands that run replications.
struct MetricsOption: ParsableArguments {
    @Option(name: .customLong("metrics-listen"),
            help: ArgumentHelp("Serve Prometheus metrics at /metrics and health at /healthz on this address (no authentication: keep it on loopback or a private network).",
                               valueName: "ADDR:PORT"))
    var listen: String?

    func validate() throws {
        if let listen {
            do { _ = try MetricsServer.Address(parsing: listen) } catch { throw fail(error) }
        }
    }

    /// Starts the server (it serves until the process exits), before anything that should be
    /// counted is made; says where it listens (on stderr, so `--ui json` stays one object per line).
    func start() async throws {
        guard let listen else { return }
        let address = try MetricsServer.Address(parsing: listen)
        let metrics = ReplicationMetrics()
        let server = try MetricsServer(address: address, metrics: metrics)
        let bound = try await server.start(address)
        ProcessMetrics.install(metrics)
        if !address.isLoopback {
            printError("warning: --metrics-listen \(address): the metrics endpoint has no authentication; anyone who can reach \(bound) can read it")
        }
        Console.error("\(Timestamp.string()) metrics at http://\(bound)/metrics, health at http://\(bound)/healthz\n")
    }
}
