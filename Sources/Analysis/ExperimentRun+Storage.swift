import HDF5
import Nets

/// An experiment run's group in a results file (docs/results-format.md): its variants, the raw
/// statistics per (variant, batch) that resume and merge add up, and, once complete, the summary
/// columns plotted from.
extension ExperimentRun {
    /// Writes the run as the group `id` of `root`.
    func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("experiment", String(id.split(separator: "/").last ?? Substring(id)))
        try group.setAttribute("status", isComplete ? "complete" : "partial")
        try group.setAttribute("settings", settings)
        try group.setAttribute("shard", shard.description)
        try group.setAttribute("classes", Int64(classes))
        try group.setAttribute("batches", Int64(batchCount))
        try group.setAttribute("chunk_size", Int64(ExperimentRun.chunkSize))
        try group.setAttribute("units_total", Int64(unitCount))
        try group.setAttribute("units_done", Int64(unitsDone.count))
        try writeVariants(into: try group.createGroup("variants"))
        try writeProgress(into: try group.createGroup("raw"))
        if isComplete { try writeSummary(into: group) }
    }

    private func writeVariants(into group: Group) throws {
        let blocks = variants.first?.steps.count ?? 0
        var dropped = [UInt8](repeating: 0, count: variants.count * blocks)
        for (i, variant) in variants.enumerated() { for block in variant.droppedBlocks { dropped[i * blocks + block] = 1 } }
        try group.createDataset("dropped", shape: [variants.count, blocks], values: dropped, options: .compressed.checksummed)
        try group.createDataset("order", shape: [variants.count, blocks],
                                values: variants.flatMap { $0.order.map { Int32($0) } }, options: .compressed.checksummed)
        // What happens at each position beyond run and skip (duplicate, scale), by BlockAction.code.
        if variants.contains(where: { !$0.interventions.isEmpty }) {
            try group.createDataset("actions", shape: [variants.count, blocks],
                                    values: variants.flatMap { $0.steps.map(\.action.code) }, options: .compressed.checksummed)
                .setAttribute("codes", "0 run, 1 skip (the lesion), 2 twice (duplicate), 3 scale (see alphas), 4 reinit (see seeds)")
            try group.createDataset("alphas", shape: [variants.count, blocks],
                                    values: variants.flatMap { $0.steps.map(\.action.alpha) }, options: .compressed.checksummed)
                .setAttribute("units", "factor on the branch's output at each position")
            try group.createDataset("seeds", shape: [variants.count, blocks],
                                    values: variants.flatMap { $0.steps.map { Int64(bitPattern: $0.action.seed) } },
                                    options: .compressed.checksummed)
                .setAttribute("units", "the seed a re-initialised block's weights were drawn from (0 elsewhere)")
        }
        for (name, values) in columns.sorted(by: { $0.key < $1.key }) {
            try group.createDataset(name, shape: [values.count], values: values, options: .checksummed)
        }
    }

    /// The additive statistics of every (variant, batch) done, and which work units are done.
    private func writeProgress(into group: Group) throws {
        let rows = sortedRows
        let width = 2 + VariantStatistics.columns(classes: classes).count
        let table = rows.flatMap { [Double($0.variant), Double($0.batch)] + $0.statistics.row }
        let dataset = try group.createDataset("rows", shape: [rows.count, width], values: table,
                                              options: rows.isEmpty ? .plain : .compressed.checksummed)
        try dataset.setAttribute("columns", ["variant", "batch"] + VariantStatistics.columns(classes: classes))
        var done = [UInt8](repeating: 0, count: unitCount)
        for unit in unitsDone where unit < done.count { done[unit] = 1 }
        try group.createDataset("units_done", shape: [done.count], values: done, options: .checksummed)
    }

    /// One value per variant over all images: what a complete run reports.
    private func writeSummary(into group: Group) throws {
        let totals = self.totals
        func column(_ name: String, _ units: String, _ values: [Double]) throws {
            try group.createDataset(name, shape: [values.count], values: values, options: .checksummed)
                .setAttribute("units", units)
        }
        try column("images", "images", totals.map(\.images))
        try column("error", "fraction of images misclassified", totals.map(\.error))
        try column("loss", "mean cross-entropy (nats per image)", totals.map(\.meanLoss))
        try column("delta_error", "error minus the intact network's, same images", totals.map(\.deltaError.mean))
        try column("delta_error_low", "95% paired confidence bound", totals.map(\.deltaError.low))
        try column("delta_error_high", "95% paired confidence bound", totals.map(\.deltaError.high))
        try column("delta_loss", "mean loss minus the intact network's, same images", totals.map(\.deltaLoss.mean))
        try column("delta_loss_low", "95% paired confidence bound", totals.map(\.deltaLoss.low))
        try column("delta_loss_high", "95% paired confidence bound", totals.map(\.deltaLoss.high))
        try group.createDataset("class_error", shape: [variants.count, classes], values: totals.flatMap(\.classError),
                                options: .checksummed)
            .setAttribute("units", "fraction of the class's images misclassified")
    }

    /// Reads an experiment group back, with the shard it was run as and its progress.
    convenience init(reading group: Group) throws {
        let id = String(group.path.dropFirst())   // the group's path: "drop_one", or "resnet56/drop_one"
        let shardText = try group.stringAttribute("shard")
        guard let shard = Shard(shardText) else {
            throw NetsError("\(group.file.path): \(group.path)@shard is '\(shardText)', expected i/n with 0 ≤ i < n")
        }
        let classes = Int(try group.attribute("classes", as: Int64.self))
        let chunkSize = Int(try group.attribute("chunk_size", as: Int64.self))
        guard chunkSize == ExperimentRun.chunkSize else {
            throw AnalysisError(.conflict, "\(group.file.path): /\(id) was made in work units of \(chunkSize) variants, "
                                + "this Unravel's are \(ExperimentRun.chunkSize); write to a new file")
        }
        let variants = try ExperimentRun.readVariants(group)
        var columns: [String: [Double]] = [:]
        for (name, kind) in try group.group("variants").members()
        where kind == .dataset && !["dropped", "order", "actions", "alphas", "seeds"].contains(name) {
            columns[name] = try group.dataset("variants/\(name)").read(as: Double.self)
        }
        self.init(id: id, settings: try group.stringAttribute("settings"), variants: variants, columns: columns,
                  classes: classes, batchCount: Int(try group.attribute("batches", as: Int64.self)), shard: shard)
        let table = try group.dataset("raw/rows")
        let width = 2 + VariantStatistics.columns(classes: classes).count
        try table.checkShape([nil, width])
        let values = try table.read(as: Double.self)
        for start in stride(from: 0, to: values.count, by: width) {
            rows[Int(values[start]), default: [:]][Int(values[start + 1])] =
                VariantStatistics(row: values[(start + 2)..<(start + width)], classes: classes)
        }
        let done = try group.dataset("raw/units_done").read(as: UInt8.self)
        unitsDone = Set(done.indices.filter { done[$0] == 1 })
    }

    private static func readVariants(_ group: Group) throws -> [Variant] {
        let dropped = try group.dataset("variants/dropped")
        let shape = try dropped.shape
        let (count, blocks) = (shape[0], shape[1])
        let mask = try dropped.read(as: UInt8.self)
        let order = try group.dataset("variants/order").read(as: Int32.self)
        let hasActions = group.contains("variants/actions")
        let codes = hasActions ? try group.dataset("variants/actions").read(as: UInt8.self, expectingShape: [count, blocks]) : []
        let alphas = hasActions ? try group.dataset("variants/alphas").read(as: Float.self, expectingShape: [count, blocks]) : []
        let seeds = hasActions ? try group.dataset("variants/seeds").read(as: Int64.self, expectingShape: [count, blocks]) : []
        return try (0..<count).map { i in
            Variant(steps: try (0..<blocks).map { p in
                let block = Int(order[i * blocks + p])
                guard hasActions else { return Variant.Step(block: block, dropped: mask[i * blocks + block] == 1) }
                guard let action = BlockAction(code: codes[i * blocks + p], alpha: alphas[i * blocks + p],
                                               seed: UInt64(bitPattern: seeds[i * blocks + p])) else {
                    throw AnalysisError(.badInput, "\(group.path)/variants/action: unknown code \(codes[i * blocks + p])")
                }
                return Variant.Step(block: block, action: action)
            })
        }
    }

    /// The same experiment with nothing done, run as `shard`: what a merge adds shards into.
    func emptyCopy(shard: Shard) -> ExperimentRun {
        ExperimentRun(id: id, settings: settings, variants: variants, columns: columns, classes: classes,
                      batchCount: batchCount, shard: shard)
    }

    /// Takes over what an earlier run of the same experiment and shard did (--resume).
    func resume(from earlier: ExperimentRun, path: String) throws {
        try checkSameExperiment(as: earlier, path: path, checkShard: true)
        for (variant, batches) in earlier.rows { rows[variant, default: [:]].merge(batches) { _, stored in stored } }
        unitsDone.formUnion(earlier.unitsDone)
    }

    /// Adds a shard's rows and units; the same unit in two shards must hold the same numbers.
    func add(_ shard: ExperimentRun, path: String) throws {
        try checkSameExperiment(as: shard, path: path, checkShard: false)
        for (variant, batches) in shard.rows {
            for (batch, statistics) in batches {
                if let existing = rows[variant]?[batch], existing != statistics {
                    throw AnalysisError(.badInput, "\(path): /\(id) disagrees with another shard on variant \(variant), batch \(batch)")
                }
                rows[variant, default: [:]][batch] = statistics
            }
        }
        unitsDone.formUnion(shard.unitsDone)
    }

    /// Throws unless `stored`, read from `path`, is the same experiment (settings, variants,
    /// batches, classes, and with `checkShard` the shard).
    private func checkSameExperiment(as stored: ExperimentRun, path: String, checkShard: Bool) throws {
        func differ(_ what: String) -> AnalysisError {
            AnalysisError(.conflict, "\(path): /\(id) was made with different \(what); "
                          + (checkShard ? "resume only the same experiment, or write to a new file" : "merge the shards of one run"))
        }
        guard ExperimentRun.sameSettings(stored.settings, settings) else { throw differ("settings (\(stored.settings) vs \(settings))") }
        guard stored.variants == variants else { throw differ("variants") }
        guard stored.batchCount == batchCount else { throw differ("data (\(stored.batchCount) batches vs \(batchCount))") }
        guard stored.classes == classes else { throw differ("classes") }
        if checkShard && stored.shard != shard { throw differ("--shard (\(stored.shard) vs \(shard))") }
    }
}
