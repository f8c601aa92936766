import Analysis
import ArgumentParser
import Foundation
import Nets

/// The representation probes, by the name `--probes` takes.
enum ProbeKind: String, CaseIterable, ExpressibleByArgument {
    case lens, linear, cka, inference

    /// What `lesion study` runs unless told: the probes that need no fitting pass.
    static let studyDefault: [ProbeKind] = [.lens, .cka, .inference]

    /// The results group the probe writes.
    var groupID: String {
        switch self {
        case .lens: LogitLens.groupID
        case .linear: LinearProbes.groupID
        case .cka: BlockCKA.groupID
        case .inference: IterativeInference.groupID
        }
    }
}

/// The options of the representation probes, shared by their commands and `lesion study`.
struct ProbeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Images that fit the linear probes and the lens's projections (an Unravel dataset file); "
                               + "all of DATA then evaluates.", valueName: "file")) var trainData: String?
    @Option(help: "Without --train-data: the share of DATA's images that fits them (drawn per image with --seed); the rest evaluates.")
    var trainFraction = 0.5
    @Option(help: "Ridge regularisation α, relative to the features' mean variance.") var ridge = 1e-3
    @Flag(help: "Logit lens: read the blocks whose channels are not the head's through a fitted linear projection.")
    var project = false

    func validate() throws {
        guard trainFraction > 0 && trainFraction < 1 else {
            throw ValidationError("--train-fraction must lie strictly between 0 and 1, not \(trainFraction)")
        }
        guard ridge >= 0 && ridge.isFinite else { throw ValidationError("--ridge must be 0 or more, not \(ridge)") }
    }

    func split(seed: UInt64) -> ProbeSplit { trainData == nil ? .fraction(trainFraction, seed: seed) : .separateData }

    /// The images a fitted probe learns from: the training file, or DATA (whose fitting share the
    /// probe picks). Checked against the model before anything runs.
    func fittingRunner(_ network: Network, data: String, study: StudyOptions) throws -> Runner {
        if let trainData {
            return try Runner(network: network, data: try DatasetFile(trainData), batchSize: study.batchSize)
        }
        return try Runner(network: network, data: try DatasetFile(data), batchSize: study.batchSize, limit: study.limit)
    }

    /// The probes asked for on `network`, fitted where they need it (with a progress bar).
    /// `gradientBatches` are the batches iterative inference reads: the gradient experiment's.
    /// `batchCount`: the batches of DATA the study runs, which the probes save their progress in.
    func make(_ kinds: [ProbeKind], network: Network, model: String, data: String, study: StudyOptions, batchCount: Int,
              against: Network? = nil, gradientBatches: Int?) throws -> [Probe & ResultsGroup] {
        let probes = try kinds.map { kind -> Probe & ResultsGroup in
            switch kind {
            case .lens:
                return try naming(model) {
                    try LogitLens(network: network, projection: project ? split(seed: study.seed) : nil, alpha: ridge, batchCount: batchCount,
                                  fittingData: trainData)
                }
            case .linear:
                return try naming(model) {
                    try LinearProbes(network: network, split: split(seed: study.seed), alpha: ridge, batchCount: batchCount,
                                     fittingData: trainData)
                }
            case .cka:
                let dataset = try DatasetFile(data)
                return try naming(model) {
                    try BlockCKA(network: network, against: against, data: dataset, batchSize: study.batchSize, batchCount: batchCount)
                }
            case .inference:
                return try naming(model) { try IterativeInference(network: network, batches: gradientBatches, batchCount: batchCount) }
            }
        }
        // One fitting pass serves the lens's projections and the linear probes together.
        let fitted = probes.compactMap { $0 as? FittedProbe }.filter(\.needsFitting)
        if !fitted.isEmpty {
            let runner = try fittingRunner(network, data: data, study: study)
            let progress = Progress("fit \(fitted.map(\.name).joined(separator: ", "))", total: runner.batches.count, quiet: study.quiet)
            try runner.fit(fitted) { index, _ in progress.update(done: index + 1, total: runner.batches.count) }
            progress.finish()
        }
        return probes
    }

    /// A probe's refusal of a network, naming the model file it came from.
    private func naming<T>(_ model: String, _ make: () throws -> T) throws -> T {
        do { return try make() } catch let error as NetsError { throw NetsError(error.kind, "\(model): \(error.message)") }
    }
}

/// CKA's unbiased estimator needs minibatches of at least 4 images: a usage error (64) naming
/// --batch-size otherwise, before anything is opened.
func requireCKABatchSize(_ batchSize: Int, remedy: String = "") throws {
    guard batchSize >= HSIC.minimumImages else {
        throw ValidationError("CKA's unbiased estimator needs at least \(HSIC.minimumImages) images per minibatch: "
                              + "--batch-size \(batchSize) is too small" + remedy)
    }
}

/// `--probes lens,linear,cka,inference`.
struct ProbeList: ExpressibleByArgument {
    let kinds: [ProbeKind]

    init(_ kinds: [ProbeKind]) { self.kinds = kinds }

    init?(argument: String) {
        if argument == "none" {
            kinds = []
            return
        }
        let parsed = argument.split(separator: ",").map { ProbeKind(rawValue: String($0).trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else { return nil }
        kinds = parsed.compactMap { $0 }.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    var defaultValueDescription: String { kinds.map(\.rawValue).joined(separator: ",") }
    static var allValueStrings: [String] { ProbeKind.allCases.map(\.rawValue) + ["none"] }
}
