import Nets

/// A probe that learns from images before it scores them (a linear probe, the logit lens's
/// projections): a fitting pass over the training images, then the scoring pass with the rest.
public protocol FittedProbe: Probe {
    /// Whether this probe has anything to fit (a lens without projections has not).
    var needsFitting: Bool { get }
    /// From here until `endFitting`, `observe` accumulates instead of scoring.
    func beginFitting()
    /// Ends the fitting pass and solves; throws when too few images were seen.
    func endFitting() throws
}

extension Runner {
    /// One fitting pass for every probe that needs one: they read the same intact pass, so one
    /// forward pass per batch serves them all.
    public func fit(_ probes: [FittedProbe], afterBatch: ((Int, Range<Int>) throws -> Void)? = nil) throws {
        let fitting = probes.filter(\.needsFitting)
        guard !fitting.isEmpty else { return }
        for probe in fitting { probe.beginFitting() }
        do {
            try run(fitting, afterBatch: afterBatch)
        } catch {
            for probe in fitting { try? probe.endFitting() }
            throw error
        }
        do {
            for probe in fitting { try probe.endFitting() }
        } catch let error as NetsError {
            throw NetsError(error.kind, "\(data.path): \(error.message)")
        }
    }
}
