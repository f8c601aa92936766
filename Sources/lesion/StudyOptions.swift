import Analysis
import ArgumentParser
import Foundation
import Nets

/// Options of every experiment command: MODEL DATA -o results.h5 and how to run.
struct StudyOptions: ParsableArguments {
    @Argument(help: "An Unravel model file.") var model: String?
    @Argument(help: "An Unravel dataset file.") var data: String?
    @Option(name: .shortAndLong, help: "The results file (HDF5), created or added to.") var output: String
    @Option(help: "Images per batch.") var batchSize = 128
    @Option(help: "CPU threads (default: all cores).") var threads: Int?
    @Option(help: "Use only the first N images.") var limit: Int?
    @Option(help: "Seed for the random block sets and orders.") var seed: UInt64 = 1
    @Flag(help: "Continue an interrupted run: compute only what the results file lacks.") var resume = false
    @Flag(help: "Replace this experiment's results if the file holds them.") var force = false
    @Option(help: "Do part i of n of the work (i from 0), for batch schedulers; then `lesion merge`.") var shard: String?
    @Flag(help: "Print machine-readable JSON on stdout.") var json = false
    @Flag(help: "No progress bar.") var quiet = false
    @Option(help: ArgumentHelp("Seconds between saves while running.", visibility: .hidden)) var saveInterval = 5.0
    @Option(help: ArgumentHelp("Pause after each batch (for interruption tests).", visibility: .hidden)) var pauseAfterBatch = 0.0

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
        if resume && force { throw ValidationError("--resume and --force contradict each other") }
        if let shard { _ = try Shard(parsing: shard) }
    }

    /// Opens the study and runs `experiments`, with a progress bar. Bad input exits with 3, a
    /// results-file conflict with 4.
    func run(_ experiments: [Experiment], label: String,
             groups: (Network, Int) throws -> [Probe & ResultsGroup] = { _, _ in [] }) throws -> (Study, [ExperimentRun], [Probe & ResultsGroup]) {
        guard let model, let data else { throw ValidationError("give a MODEL file and a DATA file") }
        return try run(experiments, label: label, model: model, data: data, prefix: nil, groups: groups)
    }

    func run(_ experiments: [Experiment], label: String, model: String, data: String, prefix: String?,
             groups: (Network, Int) throws -> [Probe & ResultsGroup],
             also: (Network) -> [ResultsGroup] = { _ in [] }) throws -> (Study, [ExperimentRun], [Probe & ResultsGroup]) {
        if let threads { Compute.threads = threads }
        var options = Study.Options()
        options.batchSize = batchSize
        options.limit = limit
        options.resume = resume
        options.force = force
        options.shard = try shard.map { try Shard(parsing: $0) } ?? .whole
        options.commandLine = CommandLine.arguments.joined(separator: " ")
        options.toolVersion = UnravelVersion.string
        options.saveInterval = saveInterval
        options.pauseAfterBatch = pauseAfterBatch
        options.prefix = prefix
        let study = try reportingConflicts { try reportingBadInput { try Study(model: model, data: data, output: output, options: options) } }
        let runs = try reportingConflicts { try reportingBadInput { try study.prepare(experiments) } }
        let probes = try reportingBadInput { try groups(study.network, study.runner.batches.count) }
        let progress = Progress(label, total: 1, quiet: quiet)
        try reportingConflicts {
            try reportingBadInput {
                try study.run(runs, groups: probes, also: also(study.network)) { done, total in
                    progress.update(done: done, total: total)
                }
            }
        }
        progress.finish()
        return (study, runs, probes)
    }
}

/// Runs `body`, turning a results-file conflict into a one-line message and exit code 4.
func reportingConflicts<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as AnalysisError {
        printError("lesion: \(error)")
        throw Exit.conflict
    }
}
