import Foundation
import HDF5

extension ResultsFile {
    /// Combines shard files into the file one unsharded run would have written.
    public static func merge(_ shards: [String], into path: String) throws -> [ExperimentRun] {
        guard let first = shards.first else { throw AnalysisError(.badUsage, "merging needs at least one shard file") }
        try checkOneRun(shards)
        var merged: [String: ExperimentRun] = [:]
        var order: [String] = []
        for shard in shards {
            let root = try openRoot(shard)
            for name in try experimentGroups(root) {
                let stored = try ExperimentRun(reading: try root.group(name))
                if merged[name] == nil {
                    merged[name] = stored.emptyCopy(shard: .whole)
                    order.append(name)
                }
                try merged[name]!.add(stored, path: shard)
            }
        }
        let runs = order.map { merged[$0]! }
        for run in runs where !run.isComplete {
            throw AnalysisError(.badInput, "\(run.id): the shards hold \(run.unitsDone.count) of \(run.unitCount) work units; "
                                + "a shard is missing or unfinished")
        }
        let source = try File.open(first).root
        try write(path, existing: nil, runs: runs, groups: []) { root, _ in
            for name in try source.attributeNames where name != "saved" && name != "command_line" {
                try copyAttribute(name, from: source, to: root)
            }
            // Groups computed whole rather than in work units (path counts in every shard, exact
            // gradients in shard 0 only) come from the first shard that holds each. One shard file
            // is open at a time: a job array may have hundreds.
            for shard in shards { try copyMissing(File.open(shard).root, to: root, except: Set(merged.keys)) }
            try root.setAttribute("command_line", "lesion merge " + shards.joined(separator: " "))
            try root.setAttribute("merged_from", shards)
            try root.setAttribute("saved", Provenance.now())
        }
        return runs
    }

    /// Shards merge only with shards of the same run: the same model and dataset files (by
    /// SHA-256), batch size, images and arithmetic. Experiment settings are compared group by group as they
    /// merge; this catches what the groups do not record, such as a model with the same blocks
    /// and other weights, whose numbers would otherwise be filed under the first shard's model.
    /// A group measured whole comes from one shard, so it must be finished there.
    static func checkOneRun(_ shards: [String]) throws {
        var seen: Set<String> = []
        for shard in shards {
            let real = URL(fileURLWithPath: shard).resolvingSymlinksInPath().standardizedFileURL.path
            guard seen.insert(real).inserted else { throw AnalysisError(.badUsage, "\(shard) is given twice") }
        }
        let first = shards[0]
        let reference = try openRoot(first)
        let remedy = "merge the shards of one run"
        for shard in shards {
            let root = try openRoot(shard)
            try refuseUnfinishedWholeGroups(root, shard: shard)
            guard shard != first else { continue }
            for (holder, referenceHolder) in try modelHolders(root, reference) {
                try same("model_sha256", holder, referenceHolder, what: "model", shard: shard, first: first, remedy: remedy)
            }
            try same("data_sha256", root, reference, what: "dataset", shard: shard, first: first, remedy: remedy)
            let arithmetic = try [root, reference].map { try ResultsFile.arithmetic(of: $0) ?? "an unrecorded arithmetic" }
            guard arithmetic[0] == arithmetic[1] else {
                throw AnalysisError(.conflict, "\(shard) was computed with \(arithmetic[0]), \(first) with \(arithmetic[1]); "
                                    + "their last digits would differ, so merge shards computed by one Unravel on one kind of CPU")
            }
            for (key, words) in [("batch_size", "batch size"), ("images", "images")] where root.hasAttribute(key) && reference.hasAttribute(key) {
                let (a, b) = (try root.attribute(key, as: Int64.self), try reference.attribute(key, as: Int64.self))
                guard a == b else {
                    throw AnalysisError(.conflict, key == "images"
                        ? "\(shard): made on \(a) images, \(first) on \(b) (--limit); \(remedy)"
                        : "\(shard): made with \(words) \(a), \(first) with \(b); \(remedy)")
                }
            }
        }
    }

    /// Throws unless both hold the same file hash under `key`, when both record one.
    private static func same(_ key: String, _ holder: Group, _ reference: Group, what: String, shard: String, first: String,
                             remedy: String) throws {
        guard holder.hasAttribute(key), reference.hasAttribute(key) else { return }
        let (a, b) = (try holder.stringAttribute(key), try reference.stringAttribute(key))
        guard a == b else {
            throw AnalysisError(.conflict, "\(shard): made from another \(what) file than \(first) "
                                + "(SHA-256 \(a.prefix(12))… vs \(b.prefix(12))…); \(remedy)")
        }
    }

    /// A partial group that is not split into work units of variants (grads_exact), at the root
    /// or in a network's group.
    private static func refuseUnfinishedWholeGroups(_ root: Group, shard: String) throws {
        let holders = [root] + (try root.members().filter { $0.kind == .group }.map { try root.group($0.name) })
        for holder in holders {
            for (name, kind) in try holder.members() where kind == .group {
                let group = try holder.group(name)
                guard !group.hasAttribute("chunk_size"), group.hasAttribute("status"),
                      try group.stringAttribute("status") == "partial" else { continue }
                let done = try group.attribute("units_done", as: Int64.self), total = try group.attribute("units_total", as: Int64.self)
                throw AnalysisError(.badInput, "\(shard): \(group.path) is unfinished (\(done) of \(total) batches); "
                                    + "resume that shard's run with --resume, then merge")
            }
        }
    }

    /// The groups that record a model hash in both files: the root, its /model group, and each
    /// network's /model group in a file of several networks.
    private static func modelHolders(_ root: Group, _ reference: Group) throws -> [(Group, Group)] {
        let paths = ["model"] + (try root.members().filter { $0.kind == .group }.map { "\($0.name)/model" })
        return [(root, reference)] + (try paths.filter { root.contains($0) && reference.contains($0) }
            .map { (try root.group($0), try reference.group($0)) })
    }
}
