import Analysis
import ArgumentParser
import Foundation
import Nets

/// Options of every experiment command: MODEL DATA -o results.h5 and how to run.
struct StudyOptions: ParsableArguments {
    @Argument(help: "An Unravel model file.") var model: String?
    @Argument(help: "An Unravel dataset file.") var data: String?
    @Option(name: .shortAndLong, help: "The results file (HDF5), created or added to.") var output: String
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Seed for the random block sets and orders.") var seed: UInt64 = 1
    @Flag(help: "Continue an interrupted run: compute only what the results file lacks.") var resume = false
    @Flag(help: "Replace this experiment's results if the file holds them.") var force = false
    @Option(help: ArgumentHelp("Do part i of n of the work (0 ≤ i < n), for batch schedulers; then `lesion merge`.",
                              valueName: "i/n")) var shard: Shard?
    @Option(help: ArgumentHelp("Seconds between saves while running.", visibility: .hidden)) var saveInterval = 5.0
    @Option(help: ArgumentHelp("Pause after each work unit (for interruption tests).", visibility: .hidden)) var pauseAfterUnit = 0.0

    var batchSize: Int { compute.batchSize }
    var limit: Int? { compute.limit }
    var json: Bool { compute.json }
    var quiet: Bool { compute.quiet }

    func validate() throws {
        if resume && force { throw ValidationError("--resume and --force contradict each other") }
    }

    /// Opens the study and runs `experiments`, with a progress bar. Bad input exits with 3, a
    /// results-file conflict with 4.
    func run(_ experiments: [Experiment], label: String, groupIDs: [String] = [],
             groups: (Network, Int) throws -> [Probe & ResultsGroup] = { _, _ in [] }) throws -> (Study, [ExperimentRun], [Probe & ResultsGroup]) {
        guard let model, let data else { throw ValidationError("give a MODEL file and a DATA file") }
        return try run(experiments, label: label, model: model, data: data, prefix: nil, groupIDs: groupIDs, groups: groups)
    }

    /// `groupIDs`: the groups `groups` will make, checked against the file before they are made.
    func run(_ experiments: [Experiment], label: String, model: String, data: String, prefix: String?, groupIDs: [String] = [],
             groups: (Network, Int) throws -> [Probe & ResultsGroup],
             also: (Network) -> [ResultsGroup] = { _ in [] },
             leavingOutRefused: Bool = false) throws -> (Study, [ExperimentRun], [Probe & ResultsGroup]) {
        compute.apply()
        var options = Study.Options()
        options.batchSize = batchSize
        options.limit = limit
        options.resume = resume
        options.force = force
        options.shard = shard ?? .whole
        options.commandLine = CommandLine.arguments.joined(separator: " ")
        options.toolVersion = UnravelVersion.string
        options.saveInterval = saveInterval
        options.pauseAfterUnit = pauseAfterUnit
        options.prefix = prefix
        let study = try Study(model: model, data: data, output: output, options: options)
        if let mismatch = try study.runner.data.scaleMismatch(for: study.network.architecture.preprocessing) {
            printError("lesion: warning: " + mismatch)
        }
        if !study.absentClasses.isEmpty {
            let absent = study.absentClasses
            let images = study.runner.imageCount == 1 ? "image used holds" : "images used hold"
            printError("lesion: warning: the \(study.runner.imageCount) \(images) no image of \(absent.count) of the model's "
                       + "\(study.network.architecture.classes) classes (\(absent.prefix(10).map(String.init).joined(separator: ", "))"
                       + (absent.count > 10 ? ", …" : "") + "); every number describes only the others"
                       + (limit == nil ? "" : ". Is \(data) sorted by class? --limit takes the first images"))
        }
        // A study of several experiments does those the network allows and says which it left out.
        let doable = !leavingOutRefused ? experiments : experiments.filter { experiment in
            guard let why = experiment.refusal(for: study.network) else { return true }
            printError("lesion: \(prefix.map { "\($0): " } ?? "")\(experiment.id) left out: \(why)")
            return false
        }
        let runs = try study.prepare(doable)
        try study.checkAddable(groupIDs: groupIDs)
        let probes = try groups(study.network, study.runner.batches.count)
        try study.prepare(groups: probes)
        let progress = Progress(label, total: 1, quiet: quiet)
        try study.run(runs, groups: probes, also: also(study.network)) { done, total in
            progress.update(done: done, total: total)
        }
        progress.finish()
        if let intact = runs.first(where: { $0.isComplete })?.totals.first,
           let numbers = Chance.unbeaten(error: intact.error, classes: study.network.architecture.classes, images: Int(intact.images)) {
            printError("lesion: warning: the intact network is not better than chance on \(data) (\(numbers)), "
                       + "so no damage can be judged; " + Chance.advice)
        }
        return (study, runs, probes)
    }
}
