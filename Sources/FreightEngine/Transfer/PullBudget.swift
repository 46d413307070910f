import FreightCore
import FreightRegistry

/// A source registry's pull allowance (Docker Hub's `ratelimit-remaining`), spent carefully:
/// manifest GETs (which count; HEADs do not) go one at a time once little is left, and none
/// is sent once nothing is: the tag waits, pending, for a resume after the window resets.
actor PullBudget {
    private let allowance: @Sendable () -> PullAllowance?
    private var inFlight = 0
    /// Until the first manifest answer, whether the registry rations pulls is unknown: that
    /// first GET goes alone, so a burst of them cannot overshoot a small allowance.
    private var probed = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(allowance: @escaping @Sendable () -> PullAllowance?) { self.allowance = allowance }

    /// Takes one pull, or throws `PullLimitReached` when none is left.
    func reserve() async throws {
        while true {
            if let known = allowance() {
                guard known.remaining - inFlight > 0 else { throw PullLimitReached(allowance: known) }
                // Low: one at a time, so each answer's count is known before the next is asked.
                guard known.isLow, inFlight > 0 else { break }
            } else if probed || inFlight == 0 {
                break
            }
            await withCheckedContinuation { waiters.append($0) }
        }
        inFlight += 1
    }

    func release() {
        inFlight -= 1
        probed = true
        let woken = waiters
        waiters = []
        for waiter in woken { waiter.resume() }
    }
}

/// The source's pull allowance is spent: the run stops scheduling, saved, to be resumed.
struct PullLimitReached: Error, CustomStringConvertible {
    let allowance: PullAllowance

    var description: String {
        let limit = allowance.limit.map { " of \($0)" } ?? ""
        let window = allowance.windowSeconds.map { " per \(ByteFormat.duration(Double($0)))" } ?? ""
        return "the source's pull limit is reached (\(allowance.remaining)\(limit)\(window) left): no more manifests are "
            + "read; resume once its window has passed"
    }
}

/// A source repository whose manifest reads spend its registry's `PullBudget`.
struct BudgetedRepository: ImageRepository {
    let base: any ImageRepository
    let budget: PullBudget

    var displayName: String { base.displayName }
    var path: String { base.path }
    var storeIdentity: String { base.storeIdentity }

    func manifest(_ reference: String) async throws -> ManifestDocument {
        try await budget.reserve()
        do {
            let document = try await base.manifest(reference)
            await budget.release()
            return document
        } catch let error as RegistryError where error.pullLimitSpent || (error.status == 429 && error.code == "TOOMANYREQUESTS") {
            // Spent by someone else meanwhile: as good as a stated zero.
            await budget.release()
            throw PullLimitReached(allowance: PullAllowance(remaining: 0))
        } catch {
            await budget.release()
            throw error
        }
    }

    func manifestDescriptor(_ reference: String) async throws -> Descriptor? { try await base.manifestDescriptor(reference) }
    func putManifest(_ document: ManifestDocument, tag: String?) async throws { try await base.putManifest(document, tag: tag) }
    func deleteManifest(_ reference: String) async throws { try await base.deleteManifest(reference) }
    func referrers(of subject: Digest) async throws -> [Descriptor]? { try await base.referrers(of: subject) }
    func keepsReferrers() async throws -> Bool { try await base.keepsReferrers() }
    func replaceManifest(_ document: ManifestDocument, tag: String, expected: Digest?) async throws {
        try await base.replaceManifest(document, tag: tag, expected: expected)
    }
    func blobSize(_ digest: Digest) async throws -> Int64? { try await base.blobSize(digest) }
    func openBlob(_ descriptor: Descriptor) async throws -> BlobReader { try await base.openBlob(descriptor) }
    func beginUpload(expected: Descriptor?) async throws -> any BlobUpload { try await base.beginUpload(expected: expected) }
    func mountBlob(_ digest: Digest, from repository: String) async throws -> Bool { try await base.mountBlob(digest, from: repository) }
    func tags() async throws -> [String] { try await base.tags() }
    func validateTag(_ tag: String) throws { try base.validateTag(tag) }
}
