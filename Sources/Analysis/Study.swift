import Foundation
import HDF5
import Nets

/// Runs lesion experiments over a dataset into one results file: checks the inputs before
/// writing anything, holds the file's lock, resumes, shards, and saves as it goes.
public final class Study {
    public struct Options {
        public var batchSize = 128
        public var limit: Int? = nil
        public var resume = false
        /// Replace experiment groups that the file already holds.
        public var force = false
        public var shard = Shard.whole
        public var commandLine = ""
        public var toolVersion = "unknown"
        /// Seconds between saves while running (there is always a save at the end).
        public var saveInterval = 5.0
        /// A pause after each work unit, for tests that interrupt a run.
        public var pauseAfterUnit = 0.0
        /// Writes everything under a group of this name, to keep several networks in one file.
        public var prefix: String? = nil
        public init() {}
    }

    public let network: Network
    public let runner: Runner
    public let output: String
    public let options: Options
    private let provenance: Provenance
    private let lock: FileLock
    /// Classes of the model that none of the images used has: with a limit on a dataset sorted by
    /// class, the first images may hold only some, and every number then describes only those.
    public let absentClasses: [Int]

    /// Checks everything that can be checked before the first batch: the output folder, the
    /// dataset's shape against the model, the labels, that no other process writes the file.
    public init(model: String, data: String, output: String, options: Options) throws {
        let folder = (output as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw NetsError(.badUsage, "\(output): the folder \(folder) does not exist")
        }
        if File.isFolder(output) { throw NetsError(.badUsage, "\(output): a folder, not a file") }
        let digests = FileDigest.Pending(files: [model, data])
        network = try ModelFile.load(model)
        let dataset = try DatasetFile(data)
        runner = try Runner(network: network, data: dataset, batchSize: options.batchSize, limit: options.limit)
        absentClasses = try Study.absentClasses(dataset, count: runner.imageCount, classes: network.architecture.classes)
        self.output = output
        self.options = options
        lock = try FileLock(for: output)
        provenance = try Provenance(toolVersion: options.toolVersion, commandLine: options.commandLine, model: model,
                                    data: data, threads: Compute.threads, batchSize: options.batchSize,
                                    images: runner.imageCount, digests: digests)
        try ResultsFile.checkAddable(output, provenance: provenance, modelOnRoot: options.prefix == nil)
    }

    /// The classes none of the first `count` images has (the Runner has checked every label is a class).
    private static func absentClasses(_ data: DatasetFile, count: Int, classes: Int) throws -> [Int] {
        let seen = Set(try data.labels(0..<count))
        return (0..<classes).filter { !seen.contains($0) }
    }

    /// Prepares runs, restoring saved progress with --resume.
    public func prepare(_ experiments: [Experiment]) throws -> [ExperimentRun] {
        let runs = try experiments.map {
            try ExperimentRun($0, network: network, batchCount: runner.batches.count, shard: options.shard, prefix: options.prefix)
        }
        for run in runs where try holdsToResume(run.id) {
            try ResultsFile.restore(run, from: output, provenance: provenance, prefix: options.prefix)
        }
        return runs
    }

    /// Takes up, with --resume, what the file holds of groups that resume (`ResumableGroup`).
    /// A group the file holds that does not resume (a library caller's probe written whole at the
    /// end) is measured again and replaced with --resume or --force, and refused otherwise.
    public func prepare(groups: [Probe & ResultsGroup]) throws {
        try checkAddable(groupIDs: groups.filter { !($0 is ResumableGroup) }.map(\.id))
        for case let group as ResumableGroup in groups {
            let id = placed(group).id
            if try holdsToResume(id) { try group.resume(from: try ResultsFile.openRoot(output).group(id), path: output) }
        }
    }

    /// Refuses groups that the file already holds, unless --resume or --force: called before
    /// probes are made too, so that a refusal does not come after their fitting pass.
    public func checkAddable(groupIDs: [String]) throws {
        for id in groupIDs { _ = try holdsToResume(options.prefix.map { "\($0)/\(id)" } ?? id) }
    }

    /// Whether the file holds `id` for --resume to take up. Without --resume, a group the file
    /// holds is replaced only with --force.
    private func holdsToResume(_ id: String) throws -> Bool {
        guard try ResultsFile.holds(output, experiment: id) else { return false }
        if options.resume { return true }
        if options.force { return false }
        throw AnalysisError(.conflict, "\(output) already holds /\(id)", remedy: .resumeOrReplace)
    }

    /// Runs them, saving every few seconds and at the end. `groups` are probes measured alongside
    /// (gradients by path length, highway gates): those that resume are saved part-way too, the
    /// others are written at the end, with `also` (groups that need no data, such as path counts). `progress(done, total)` counts work units:
    /// a chunk of one experiment's variants on one batch, or one batch of the groups.
    public func run(_ runs: [ExperimentRun], groups: [Probe & ResultsGroup] = [], also: [ResultsGroup] = [],
                    progress: ((Int, Int) -> Void)? = nil) throws {
        // Saves come between work units, not only between batches: on a large network one batch of
        // a study's hundreds of variants takes many minutes, all lost if a save waited for its end.
        let groupBatches = Set(runner.batches.indices.filter { b in groups.contains { $0.wants(batch: b) } })
        let total = runs.reduce(0) { $0 + $1.ownedUnits.count } + groupBatches.count
        var done = total - runs.reduce(0) { $0 + $1.unitsLeft } - groupBatches.count
        progress?(done, total)
        var lastSave = Date(), lastSaveTook = 0.0
        let resumable = groups.compactMap { $0 as? ResumableGroup }.map(placed)
        func unitDone() throws {
            done += 1
            // A save rewrites the whole file, which grows with the classes and batches: at least
            // ten times its own duration apart, saving stays a small share of the run.
            let due = Date().timeIntervalSince(lastSave) >= max(options.saveInterval, 10 * lastSaveTook)
            if due && !(runs.isEmpty && resumable.isEmpty) {
                let start = Date()
                try ResultsFile.save(output, runs: runs, groups: resumable + [modelGroup], provenance: provenance,
                                     modelOnRoot: options.prefix == nil)
                (lastSave, lastSaveTook) = (Date(), Date().timeIntervalSince(start))
            }
            progress?(done, total)
            if options.pauseAfterUnit > 0 { Thread.sleep(forTimeInterval: options.pauseAfterUnit) }
        }
        for run in runs { run.afterUnit = unitDone }
        defer { for run in runs { run.afterUnit = nil } }
        try runner.run(runs + groups) { index, _ in
            if groupBatches.contains(index) { try unitDone() }
        }
        try save(runs, groups: groups + also)
    }

    /// The network's model group, in every save: an interrupted run's file names its network too.
    private var modelGroup: ResultsGroup {
        placed(ModelInfo(network: network, provenance: provenance))
    }

    /// Also writes groups that need no data (path counts) with this study's provenance.
    public func save(_ runs: [ExperimentRun], groups: [ResultsGroup]) throws {
        try ResultsFile.save(output, runs: runs, groups: groups.map(placed) + [modelGroup], provenance: provenance,
                             modelOnRoot: options.prefix == nil)
    }

    /// A group where this study writes it: under the network's group in a several-network file.
    private func placed(_ group: ResultsGroup) -> ResultsGroup {
        options.prefix.map { PrefixedGroup($0, group) } ?? group
    }
}

/// Which model a prefixed group of results came from, when one file holds several networks.
struct ModelInfo: ResultsGroup {
    let network: Network
    let provenance: Provenance
    var id: String { "model" }

    func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("name", network.architecture.name)
        try group.setAttribute("studied", provenance.started)
        try group.setAttribute("model", provenance.model)
        try group.setAttribute("model_sha256", provenance.modelSHA256)
        try group.setAttribute("blocks", Int64(network.blockCount))
        try group.setAttribute("downsampling_blocks", network.downsamplingBlocks.map { Int64($0) })
        try group.setAttribute("block_kinds", network.architecture.blocks.map(\.kind.rawValue))
        try group.setAttribute("block_names", network.architecture.blocks.map(\.name))
    }
}
