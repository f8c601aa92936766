import Analysis
import ArgumentParser
import Foundation
import Nets

/// Prints each run's table (or all as JSON) after a study.
func printResults(_ runs: [ExperimentRun], network: Network, json: Bool, output: String) throws {
    if json { return try printJSON(runs.map(ExperimentReport.init)) }
    for run in runs { print(ExperimentReport.table(run, network: network)) }
    print("results: \(output)")
}

struct Drop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove each residual block's branch in turn (Veit et al., lesion study 1).",
        discussion: """
            Each block becomes its shortcut. The change in error against the intact network comes \
            with a paired 95% confidence interval, because the images are the same.

            Example:
              lesion drop resnet56.h5 test.h5 -o results.h5
              lesion drop resnet56.h5 test.h5 -o results.h5 --resume   # after a stop
              lesion drop resnet56.h5 test.h5 -o part0.h5 --shard 0/4  # job 1 of 4
            """)

    @OptionGroup var study: StudyOptions
    @OptionGroup var recalibration: RecalibrationOptions

    func run() throws {
        let (opened, runs, _) = try study.run(try recalibration.experiments([DropOne()], study: study), label: "drop")
        try printResults(runs, network: opened.network, json: study.json, output: study.output)
    }
}

struct DropMany: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop-many",
        abstract: "Remove k random blocks at once, for k = 1...K (Veit et al., lesion study 2).",
        discussion: """
            Example:
              lesion drop-many resnet56.h5 test.h5 -o results.h5 --max-k 20 --samples 50
            """)

    @OptionGroup var study: StudyOptions
    @Option(help: "The largest number of blocks removed at once.") var maxK = 10
    @Option(help: "Random sets per k (all sets when there are fewer).") var samples = 20
    @Flag(help: "Never remove the downsampling blocks.") var excludeDownsampling = false
    @OptionGroup var recalibration: RecalibrationOptions

    func validate() throws {
        try requirePositive(maxK, "--max-k")
        try requirePositive(samples, "--samples")
    }

    func run() throws {
        let experiment = Analysis.DropMany(maxK: maxK, samples: samples, seed: study.seed, excludeDownsampling: excludeDownsampling)
        let (opened, runs, _) = try study.run(try recalibration.experiments([experiment], study: study), label: "drop-many")
        try printResults(runs, network: opened.network, json: study.json, output: study.output)
    }
}

struct ReorderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reorder",
        abstract: "Swap k random pairs of compatible blocks (Veit et al., lesion study 3).",
        discussion: """
            Blocks are compatible when they are in the same stage and neither changes the shape. \
            Each order is recorded with its Kendall τ against the original.

            Example:
              lesion reorder resnet56.h5 test.h5 -o results.h5 --max-swaps 20 --samples 10
            """)

    @OptionGroup var study: StudyOptions
    @Option(help: "The largest number of swaps.") var maxSwaps = 10
    @Option(help: "Orders per number of swaps.") var samples = 10

    func validate() throws {
        try requirePositive(maxSwaps, "--max-swaps")
        try requirePositive(samples, "--samples")
    }

    func run() throws {
        let (opened, runs, _) = try study.run([Reorder(maxSwaps: maxSwaps, samples: samples, seed: study.seed)], label: "reorder")
        try printResults(runs, network: opened.network, json: study.json, output: study.output)
    }
}

struct DuplicateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duplicate",
        abstract: "Run each block twice in place, one block at a time (the original lesion code's third operation).",
        discussion: """
            The block's output is fed back as its input, so only blocks that keep the shape can be \
            duplicated; the others are listed. If blocks refine one representation (Greff et al. \
            2017), a repeated block should cost little.

            Example:
              lesion duplicate resnet56.h5 test.h5 -o results.h5
            """)

    @OptionGroup var study: StudyOptions
    @OptionGroup var recalibration: RecalibrationOptions

    func run() throws {
        let (opened, runs, _) = try study.run(try recalibration.experiments([Duplicate()], study: study), label: "duplicate")
        try printResults(runs, network: opened.network, json: study.json, output: study.output)
    }
}

struct ScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Multiply each block's branch by α, one block at a time, for each α.",
        discussion: """
            y = merge(shortcut(x) + α·f(x)): α = 0 is the drop-one lesion (and gives its numbers \
            exactly), α = 1 the network as trained. Plain blocks have no shortcut and are listed.

            Example:
              lesion scale resnet56.h5 test.h5 -o results.h5 --alphas 0,0.5,1.5,2
            """)

    @OptionGroup var study: StudyOptions
    @Option(help: "Comma-separated branch scales.") var alphas = "0,0.5,1.5,2"
    @OptionGroup var recalibration: RecalibrationOptions

    func validate() throws { _ = try parsedAlphas() }

    func parsedAlphas() throws -> [Float] {
        let values = alphas.split(separator: ",", omittingEmptySubsequences: false).map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--alphas must be comma-separated numbers, like 0,0.5,1.5,2; got '\(alphas)'")
        }
        if let bad = values.first(where: { !$0!.isFinite }) { throw ValidationError("--alphas: \(bad!) is not a finite number") }
        return values.map { $0! }
    }

    func run() throws {
        let experiment = try ScaleBranches(alphas: try parsedAlphas())
        let (opened, runs, _) = try study.run(try recalibration.experiments([experiment], study: study), label: "scale")
        try printResults(runs, network: opened.network, json: study.json, output: study.output)
    }
}

struct ReinitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reinit",
        abstract: "Redraw each block's weights as at initialisation, one block at a time (Zhang, Bengio & Singer 2019).",
        discussion: """
            Convolutions are drawn He-normal as torchvision initialises ResNets, biases are zero and \
            batch norms are reset to the identity; the draw depends only on --seed and the block \
            (docs/results-format.md). Blocks whose error barely moves are robust to re-initialisation.

            Example:
              lesion reinit resnet56.h5 test.h5 -o results.h5 --seed 7
            """)

    @OptionGroup var study: StudyOptions
    @OptionGroup var recalibration: RecalibrationOptions

    func run() throws {
        let (opened, runs, _) = try study.run(try recalibration.experiments([Reinit(seed: study.seed)], study: study), label: "reinit")
        try printResults(runs, network: opened.network, json: study.json, output: study.output)
    }
}

struct AblateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablate",
        abstract: "Replace each block's branch output by its mean over the data, one block at a time.",
        discussion: """
            A first pass computes every branch's mean output per channel and position over the images \
            used (--limit); the results file records it under /ablate_means. Removing a branch also \
            removes what it adds on average; mean ablation removes only what it says about each image.

            Example:
              lesion ablate --mean resnet56.h5 test.h5 -o results.h5
            """)

    @OptionGroup var study: StudyOptions
    @Flag(help: "Replace each branch by its mean over the data (the only ablation so far).") var mean = false

    func validate() throws {
        guard mean else { throw ValidationError("say what replaces each branch: --mean") }
    }

    func run() throws {
        guard let model = study.model, let data = study.data else { throw ValidationError("give a MODEL file and a DATA file") }
        study.compute.apply()
        let network = try ModelFile.load(model)
        let runner = try Runner(network: network, data: try DatasetFile(data), batchSize: study.batchSize, limit: study.limit)
        let means = BranchMeans(network: network)
        let progress = Progress("means", total: runner.batches.count, quiet: study.quiet)
        try runner.run([means]) { index, _ in progress.update(done: index + 1, total: runner.batches.count) }
        progress.finish()
        let (opened, runs, _) = try study.run([MeanAblation(means: means)], label: "ablate", model: model, data: data, prefix: nil,
                                              groups: { _, _ in [] }, also: { _ in [means] })
        try printResults(runs, network: opened.network, json: study.json, output: study.output)
    }
}

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "All lesion studies, path counts and exact gradients by path length into one results file.",
        discussion: """
            With no MODEL and DATA it studies the reference networks bundled in models/ (ResNet-56, \
            its pre-activation twin, a plain net and a highway net, trained on MNIST digits) on \
            their held-out digits, each under a group named for it.

            Examples:
              lesion study resnet56.h5 test.h5 -o results.h5 --limit 2000
              lesion study -o results.h5        # the bundled reference networks
              lesion report results.h5 -o report.html
            """)

    @OptionGroup var study: StudyOptions
    @Option(help: "drop-many: the largest number of blocks removed at once.") var maxK = 10
    @Option(help: "drop-many: random sets per k.") var samples = 20
    @Option(help: "reorder: the largest number of swaps.") var maxSwaps = 10
    @Option(help: "reorder: orders per number of swaps.") var orders = 10
    @Option(help: "Images for the exact gradient-by-path-length measurement (0 to skip).") var gradientImages = 256
    @Option(help: "Keep the per-length input gradients of the first N of them, for the report's pictures of paths.")
    var saveImages = 0
    @Option(help: ArgumentHelp("Representation probes beside the lesions (lens, linear, cka, inference; none). "
                               + "inference reads the --gradient-images.", valueName: "list"))
    var probes = ProbeList(ProbeKind.studyDefault)
    @OptionGroup var probeOptions: ProbeOptions

    func validate() throws {
        if probes.kinds.contains(.cka) { try requireCKABatchSize(study.batchSize, remedy: " (or leave cka out of --probes)") }
        for (value, flag) in [(maxK, "--max-k"), (samples, "--samples"), (maxSwaps, "--max-swaps"), (orders, "--orders")] {
            try requirePositive(value, flag)
        }
        guard gradientImages >= 0 else { throw ValidationError("--gradient-images must be 0 (skip) or more, not \(gradientImages)") }
        guard (0...max(gradientImages, 0)).contains(saveImages) else {
            throw ValidationError("--save-images must lie in 0...--gradient-images (\(gradientImages)), not \(saveImages)")
        }
    }

    func run() throws {
        let experiments: [Experiment] = [
            DropOne(),
            Analysis.DropMany(maxK: maxK, samples: samples, seed: study.seed),
            Reorder(maxSwaps: maxSwaps, samples: orders, seed: study.seed),
        ]
        // Exact gradients and highway gates are not split among shards: with --shard only shard 0
        // computes them, and `lesion merge` takes them from it.
        let computesWholeGroups = (study.shard ?? .whole).index == 0
        let gradientBatches = (gradientImages + study.batchSize - 1) / study.batchSize
        // Inference reads the gradient batches; with none, it is left out.
        let representation = probes.kinds.filter { $0 != .inference || gradientImages > 0 }
        let groups = { (target: (model: String, data: String)) in { (network: Network, batches: Int) throws -> [Probe & ResultsGroup] in
            var probes: [Probe & ResultsGroup] = []
            guard computesWholeGroups else { return probes }
            if gradientImages > 0 {
                probes.append(try ExactPathGradients(network: network, batches: gradientBatches, savingImages: saveImages,
                                                     batchCount: batches))
            }
            if network.architecture.blocks.contains(where: { $0.kind == .highway }) {
                probes.append(try HighwayGates(network: network, batchCount: batches))
            }
            return probes + (try probeOptions.make(representation, network: network, model: target.model, data: target.data,
                                                   study: study, batchCount: batches, gradientBatches: gradientBatches))
        } }
        var targets: [(model: String, data: String, prefix: String?)] = []
        if let model = study.model, let data = study.data {
            targets = [(model, data, nil)]
        } else if study.model == nil && study.data == nil {
            guard let folder = BundledModels.folder else {
                printError("lesion: no MODEL and DATA given, and the bundled reference networks were not found "
                           + "(models/ of the Unravel checkout, or $UNRAVEL_MODELS)")
                throw Exit.badInput
            }
            let data = (folder as NSString).appendingPathComponent(BundledModels.data)
            printError("lesion: no MODEL and DATA given: studying the bundled reference networks "
                       + "(\(BundledModels.networks.joined(separator: ", ")) in \(folder)) on \(data)")
            targets = BundledModels.networks.map { ((folder as NSString).appendingPathComponent("\($0).h5"), data, $0) }
        } else {
            throw ValidationError("give both MODEL and DATA, or neither for the bundled reference networks")
        }
        struct LeftOut: Encodable {
            var experiment: String
            var reason: String
        }
        struct NetworkJSON: Encodable {
            var network: String?
            var experiments: [ExperimentReport]
            var leftOut: [LeftOut]
            var gradients: [GradsReport.Report]
            var probes: ProbeReport
            var verdict: Verdict?
        }
        var reports: [NetworkJSON] = []
        for target in targets {
            let (opened, runs, probes) = try study.run(experiments, label: target.prefix ?? "study", model: target.model,
                                                       data: target.data, prefix: target.prefix,
                                                       groups: groups((target.model, target.data)),
                                                       also: { [PathCounts(PathDistribution(network: $0))] },
                                                       leavingOutRefused: true)
            let leftOut = experiments.compactMap { e in e.refusal(for: opened.network).map { LeftOut(experiment: e.id, reason: $0) } }
            reports.append(NetworkJSON(network: target.prefix, experiments: runs.map(ExperimentReport.init), leftOut: leftOut,
                                       gradients: probes.compactMap { GradsReport.report($0, network: opened.network) },
                                       probes: ProbeReport(probes)))
            if study.json { continue }
            if let prefix = target.prefix { print("== \(prefix): \(opened.network.architecture.name)") }
            for run in runs { print(ExperimentReport.table(run, network: opened.network)) }
            for skipped in leftOut { print("\(skipped.experiment): left out: \(skipped.reason)") }
            try GradsReport.print(probes, network: opened.network, json: false)
            ProbeReport.print(probes, network: opened.network)
        }
        // The verdict reads the file back, as the report does, so both judge the same numbers.
        let verdicts = Verdict.judge(try StudyResults(study.output))
        if study.json {
            for i in reports.indices { reports[i].verdict = verdicts.first { $0.group == reports[i].network } }
            return try printJSON(reports)
        }
        print(VerdictText.render(verdicts))
        print("results: \(study.output)")
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Combine the results files of --shard runs into what one run would have written.",
        discussion: """
            Example:
              lesion merge part0.h5 part1.h5 part2.h5 part3.h5 -o results.h5
            """)

    @Argument(help: "The shard files.") var shards: [String]
    @Option(name: .shortAndLong, help: "The merged results file.") var output: String
    @Flag(help: "Replace OUTPUT if it exists.") var force = false

    func run() throws {
        try refuseToReplace(output, force: force)
        let runs = try ResultsFile.merge(shards, into: output)
        print("merged \(shards.count) shards: " + runs.map { "\($0.id) (\($0.unitCount) work units)" }.joined(separator: ", ") + " -> \(output)")
    }
}
