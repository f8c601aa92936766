import Analysis
import ArgumentParser
import Nets

/// --recalibrate-bn on the commands whose variants it applies to.
struct RecalibrationOptions: ParsableArguments {
    @Flag(help: ArgumentHelp("Also evaluate every variant with each batch norm after its first changed block re-estimated "
                             + "on that variant's own activations; written beside the stale-statistics results.")) var recalibrateBn = false
    @Option(help: "Images of DATA the batch norms are re-estimated on.") var recalibrateLimit = 1024

    func validate() throws {
        guard recalibrateLimit > 0 else { throw ValidationError("--recalibrate-limit must be positive") }
    }

    /// `experiments`, then (with --recalibrate-bn) each again with re-estimated batch norms.
    func experiments(_ experiments: [Experiment], study: StudyOptions) throws -> [Experiment] {
        guard recalibrateBn else { return experiments }
        guard let model = study.model, let data = study.data else { throw ValidationError("give a MODEL file and a DATA file") }
        let recalibration = try Recalibration(network: try ModelFile.load(model), data: try DatasetFile(data),
                                              limit: recalibrateLimit, batchSize: study.batchSize)
        return experiments + experiments.map { Recalibrated($0, recalibration: recalibration) }
    }
}
