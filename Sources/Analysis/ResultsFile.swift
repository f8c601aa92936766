import Foundation
import HDF5
import Nets

/// The results file of a study (docs/results-format.md): one HDF5 file, one group per experiment,
/// provenance on the root.
///
/// Every save writes a complete new file beside the old one and renames it over it, so the file
/// on disk is always whole and readable, even after kill -9 in the middle of a save. Groups of
/// other experiments already in the file are copied across untouched.
public enum ResultsFile {
    public static let format = "unravel-results"
    public static let version: Int64 = 1

    /// Saves `runs` and `provenance`, keeping every other group of an existing file. A file of
    /// several networks (`modelOnRoot` false) records each model in its network's /model group
    /// only: on the root it would name whichever network was saved last.
    public static func save(_ path: String, runs: [ExperimentRun], groups: [ResultsGroup] = [],
                            provenance: Provenance, modelOnRoot: Bool = true) throws {
        try write(path, existing: path, runs: runs, groups: groups) { root, previous in
            if let previous { try checkSameInputs(previous, path: path, provenance: provenance, modelOnRoot: modelOnRoot) }
            try root.setAttribute("format", format)
            try root.setAttribute("format_version", version)
            try root.setAttribute("tool_version", provenance.toolVersion)
            try root.setAttribute("command_line", provenance.commandLine)
            if modelOnRoot {
                try root.setAttribute("model", provenance.model)
                try root.setAttribute("model_sha256", provenance.modelSHA256)
            }
            try root.setAttribute("data", provenance.data)
            try root.setAttribute("data_sha256", provenance.dataSHA256)
            try root.setAttribute("threads", Int64(provenance.threads))
            try root.setAttribute("batch_size", Int64(provenance.batchSize))
            try root.setAttribute("images", Int64(provenance.images))
            try root.setAttribute("onednn_version", Compute.oneDNNVersion)
            try root.setAttribute("arithmetic", provenance.arithmetic)
            let started = try previous.flatMap { $0.hasAttribute("started") ? try $0.stringAttribute("started") : nil }
            try root.setAttribute("started", started ?? provenance.started)
            try root.setAttribute("saved", Provenance.now())
        }
    }

    /// Saves groups that need no model or data (path counts): the provenance is the command alone.
    public static func saveGroups(_ path: String, _ groups: [ResultsGroup], commandLine: String, toolVersion: String) throws {
        let lock = try FileLock(for: path)
        defer { withExtendedLifetime(lock) {} }
        try write(path, existing: path, runs: [], groups: groups) { root, previous in
            if previous == nil {
                try root.setAttribute("format", format)
                try root.setAttribute("format_version", version)
                try root.setAttribute("tool_version", toolVersion)
                try root.setAttribute("command_line", commandLine)
                try root.setAttribute("started", Provenance.now())
            } else if let previous {
                for name in try previous.attributeNames where name != "saved" { try copyAttribute(name, from: previous, to: root) }
            }
            try root.setAttribute("saved", Provenance.now())
        }
    }

    /// Loads what `path` already holds of `run` (for --resume). Returns false if it holds none.
    /// Throws if the file's run was made with other settings, data or shard.
    @discardableResult
    public static func restore(_ run: ExperimentRun, from path: String, provenance: Provenance, prefix: String? = nil) throws -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        let root = try openRoot(path)
        if root.hasAttribute("model_sha256") {
            // With several networks in one file, each network's model hash is on its own group.
            let modelInfo = prefix.map { "\($0)/model" } ?? "model"
            var checks: [(Node, String, String)] = [(root, "data_sha256", provenance.dataSHA256)]
            if root.contains(modelInfo) {
                checks.append((try root.group(modelInfo), "model_sha256", provenance.modelSHA256))
            } else if prefix == nil {
                checks.append((root, "model_sha256", provenance.modelSHA256))
            }   // a network not yet in a several-network file has nothing to check
            for (holder, key, value) in checks {
                let stored = try holder.stringAttribute(key)
                guard stored == value else {
                    throw AnalysisError(.conflict, "\(path): made from a different \(key.hasPrefix("model") ? "model" : "dataset") file "
                                        + "(SHA-256 \(stored.prefix(12))… vs \(value.prefix(12))…); write to a new file")
                }
            }
            let batch = try root.attribute("batch_size", as: Int64.self)
            guard Int(batch) == provenance.batchSize else {
                throw AnalysisError(.conflict, "\(path): made with batch size \(batch), not \(provenance.batchSize)", remedy: .useBatchSize(Int(batch)))
            }
        }
        guard root.contains(run.id) else { return false }
        try run.resume(from: try ExperimentRun(reading: try root.group(run.id)), path: path)
        return true
    }

    /// Whether the file already holds a group for experiment `id`.
    public static func holds(_ path: String, experiment id: String) throws -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        return try File.open(path).root.contains(id)
    }

    /// Paths of the sharded experiment groups (those with work units of variants, which record
    /// their chunk size), at the root or one level down.
    static func experimentGroups(_ root: Group) throws -> [String] {
        var found: [String] = []
        for (name, kind) in try root.members() where kind == .group {
            let group = try root.group(name)
            if group.hasAttribute("chunk_size") { found.append(name); continue }
            for (inner, innerKind) in try group.members() where innerKind == .group {
                if try group.group(inner).hasAttribute("chunk_size") { found.append("\(name)/\(inner)") }
            }
        }
        return found
    }

    /// Refuses, before any work, a run whose results `path` cannot hold with those it has
    /// (checkSameInputs). Nothing to check when the file does not exist yet.
    public static func checkAddable(_ path: String, provenance: Provenance, modelOnRoot: Bool) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try checkSameInputs(try openRoot(path), path: path, provenance: provenance, modelOnRoot: modelOnRoot)
    }

    /// `lesion paths -o`: path counts join a results file only if they describe its network: the
    /// model the file's results came from (by SHA-256, hashed only when the file records one),
    /// or with --blocks, its block count. A /paths the file holds is replaced only with `force`.
    /// In a file of several networks (`lesion study` of the bundled ones) the counts join the
    /// group of the network whose model they come from, whose prefix this returns; a block
    /// count alone cannot say which network that is.
    public static func checkPathCountsAddable(_ path: String, model: String?, blocks: Int, force: Bool) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let root = try openRoot(path)
        var place = root, prefix: String? = nil
        if !root.contains("model"),
           case let networks = try inStudyOrder(try root.members().filter { $0.kind == .group && root.contains("\($0.name)/model") }
                                                    .map(\.name), in: root),
           !networks.isEmpty {
            let listed = networks.joined(separator: ", ")
            guard let model else {
                throw AnalysisError(.conflict, "\(path) holds several networks (\(listed)); give the MODEL the counts come "
                                    + "from, not --blocks, so they join its network's group")
            }
            let digest = try FileDigest.sha256(file: model)
            guard let network = try networks.first(where: {
                let info = try root.group($0).group("model")
                return try info.hasAttribute("model_sha256") && info.stringAttribute("model_sha256") == digest
            }) else {
                throw AnalysisError(.conflict, "\(path) holds the networks \(listed), none of them from \(model); "
                                    + "write the path counts to another file")
            }
            (place, prefix) = (try root.group(network), network)
        }
        if place.contains("paths") && !force {
            throw AnalysisError(.conflict, "\(path) already holds /\(prefix.map { "\($0)/" } ?? "")paths; use --force to replace it")
        }
        if prefix == nil, let model, root.hasAttribute("model_sha256") {
            let held = try root.stringAttribute("model_sha256")
            guard held == (try FileDigest.sha256(file: model)) else {
                let heldFile = root.hasAttribute("model") ? try root.stringAttribute("model") : "another model"
                throw AnalysisError(.conflict, "\(path) holds results for the model \(heldFile) (SHA-256 \(held.prefix(12))…), "
                                    + "not \(model); write the path counts to another file")
            }
        }
        if model == nil, root.contains("model"), case let info = try root.group("model"), info.hasAttribute("blocks"),
           case let held = Int(try info.attribute("blocks", as: Int64.self)), held != blocks {
            throw AnalysisError(.conflict, "\(path) holds results for a network of \(held) blocks, not \(blocks); "
                                + "give --blocks \(held), or write the path counts to another file")
        }
        return prefix
    }

    /// Network groups of a file of several networks, in the order they were studied (each one's
    /// /<network>/model records when; a group without that sorts by its name), as readers list them.
    static func inStudyOrder(_ names: [String], in root: Group) throws -> [String] {
        let when = try Dictionary(uniqueKeysWithValues: names.map { name -> (String, String) in
            let model = "\(name)/model"
            guard root.contains(model), try root.group(model).hasAttribute("studied") else { return (name, name) }
            return (name, try root.group(model).stringAttribute("studied"))
        })
        return names.sorted { when[$0]! < when[$1]! }
    }

    /// Results of one model on one dataset per file: a run on another model or other data would
    /// replace the root's provenance and leave the earlier groups described wrongly. The images
    /// must be the same too, since the verdict judges every experiment against drop-one's intact
    /// error, and so must the batch size, the one the root records for --resume.
    private static func checkSameInputs(_ previous: Group, path: String, provenance: Provenance, modelOnRoot: Bool) throws {
        var checks = [("data_sha256", provenance.dataSHA256, "data", provenance.data)]
        if modelOnRoot { checks.append(("model_sha256", provenance.modelSHA256, "model", provenance.model)) }
        for (attribute, hash, what, file) in checks where previous.hasAttribute(attribute) {
            let held = try previous.stringAttribute(attribute)
            let name = attribute.replacingOccurrences(of: "_sha256", with: "")
            let heldFile = previous.hasAttribute(name) ? try previous.stringAttribute(name) : "another file"
            guard held == hash else {
                throw AnalysisError(.conflict, "\(path) holds results for the \(what) \(heldFile) (SHA-256 \(held.prefix(12))…), "
                                    + "not \(file) (\(hash.prefix(12))…); write these results to another file")
            }
        }
        // Results computed (a data hash is recorded with them) under another arithmetic would
        // mix two roundings in one file, and in one experiment on --resume.
        if previous.hasAttribute("data_sha256") {
            let held = try arithmetic(of: previous)
            guard held == provenance.arithmetic else {
                throw AnalysisError(.conflict, "\(path) holds results computed with \(held ?? "an arithmetic the Unravel that made it did not record"); "
                                    + "this run's is \(provenance.arithmetic), and their last digits would differ; "
                                    + "finish it with the Unravel and the kind of CPU that began it, or write to another file")
            }
        }
        if previous.hasAttribute("images"), case let held = Int(try previous.attribute("images", as: Int64.self)), held != provenance.images {
            throw AnalysisError(.conflict, "\(path) holds results on \(held) images, this run uses \(provenance.images)",
                                remedy: .addWithImages(held))
        }
        if previous.hasAttribute("batch_size"), case let held = Int(try previous.attribute("batch_size", as: Int64.self)),
           held != provenance.batchSize {
            throw AnalysisError(.conflict, "\(path) holds results made with batch size \(held), not \(provenance.batchSize)",
                                remedy: .addWithBatchSize(held))
        }
    }

    /// The arithmetic a results file's root records (nil from an Unravel that recorded none).
    static func arithmetic(of root: Group) throws -> String? {
        root.hasAttribute("arithmetic") ? try root.stringAttribute("arithmetic") : nil
    }

    /// The root of an existing results file, refusing another kind of file (a model given as -o,
    /// say, which a save would otherwise rewrite) and a newer format version, whose groups this
    /// version could misread or drop.
    public static func openRoot(_ path: String) throws -> Group {
        let root = try File.open(path).root
        guard root.hasAttribute("format"), try root.stringAttribute("format") == format else {
            throw AnalysisError(.badInput, "\(path): not an Unravel results file (no format = \"\(format)\" on the root)")
        }
        if root.hasAttribute("format_version") {
            let found = try root.attribute("format_version", as: Int64.self, converting: true)
            guard found <= version else {
                throw AnalysisError(.badInput, "\(path): results format version \(found) is newer than this Unravel reads "
                                    + "(\(version)); use a newer Unravel")
            }
        }
        return root
    }

    // MARK: - Writing

    /// Writes the whole file anew beside `path` and renames it into place (`File.writeWhole`):
    /// what `existing` holds is copied first, except the runs and groups being written.
    static func write(_ path: String, existing: String?, runs: [ExperimentRun], groups: [ResultsGroup],
                              attributes: (Group, Group?) throws -> Void) throws {
        // The process id keeps two processes' staging files apart (the lock already keeps them from one file).
        try File.writeWhole(path, stagingSuffix: ".saving-\(getpid())") { file in
            let root = try file.root
            var previousRoot: Group? = nil
            if let existing, FileManager.default.fileExists(atPath: existing) {
                let previous = try openRoot(existing)
                previousRoot = previous
                try copyMissing(previous, to: root, except: Set(runs.map(\.id) + groups.map(\.id)))
            }
            try attributes(root, previousRoot)
            for run in runs { try run.write(into: root) }
            for group in groups { try group.write(into: root) }
        }
    }

    /// Copies every member of `source` that `target` lacks, but the paths in `excluded` (relative
    /// to the file's root), descending into groups that hold an excluded path or exist in both.
    static func copyMissing(_ source: Group, to target: Group, except excluded: Set<String>) throws {
        let base = source.path == "/" ? "" : String(source.path.dropFirst()) + "/"
        for (name, kind) in try source.members() {
            let path = base + name
            if excluded.contains(path) { continue }
            let holdsExcluded = excluded.contains(where: { $0.hasPrefix(path + "/") })
            if kind == .group, holdsExcluded || target.contains(name) {
                let child = try source.group(name)
                if !target.contains(name) {
                    let inner = try target.groupCreatingIfNeeded(name)
                    for attribute in try child.attributeNames { try copyAttribute(attribute, from: child, to: inner) }
                }
                try copyMissing(child, to: try target.group(name), except: excluded)
            } else if !target.contains(name) {
                try source.copy(name, to: target)
            }
        }
    }

    static func copyAttribute(_ name: String, from source: Group, to target: Group) throws {
        switch try source.attributeType(name) {
        case .string: try target.setAttribute(name, try source.stringAttribute(name))
        case .integer: try target.setAttribute(name, try source.attribute(name, as: Int64.self, converting: true))
        default: try target.setAttribute(name, try source.attribute(name, as: Double.self, converting: true))
        }
    }
}
