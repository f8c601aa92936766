import Foundation
import HDF5

/// Where a network's weights, as its file holds them (batch norms unfolded), can be had again:
/// re-estimating batch-norm statistics compiles blocks anew from them.
///
/// A network loaded from an Unravel model file does not hold them beside its folded
/// convolutions (ResNet-50's are 100 MB of a 500 MB evaluation); it reads the file again the
/// first time they are needed, if the file is still the version it was loaded from, and keeps
/// them from then on.
final class WeightsOrigin: @unchecked Sendable {
    /// Names the weights in error messages.
    let source: String
    private let file: FileVersion?
    private var kept: Weights?
    private let lock = NSLock()

    init(keeping weights: Weights) {
        source = weights.source
        file = nil
        kept = weights
    }

    /// Weights that `ModelFile.read` gives again from the file at `version`.
    init(rereading version: FileVersion) {
        source = version.path
        file = version
    }

    /// Whether the weights are in memory now.
    var holdsWeights: Bool { lock.withLock { kept != nil } }

    func weights() throws -> Weights {
        try lock.withLock {
            if let kept { return kept }
            guard let file, FileVersion(of: file.path) == file else {
                throw NetsError(.badInput, "\(source): the model file changed (or went) after it was loaded, and its "
                                + "weights are needed again to re-estimate batch-norm statistics; run the command again")
            }
            let read = try ModelFile.read(file.path).weights
            kept = read
            return read
        }
    }
}
