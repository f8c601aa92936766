import HDF5
import Nets

/// An experiment group of a results file, as written and read (docs/results-format.md).
struct StoredRun {
    let id: String
    let settings: String
    let shard: Shard
    let classes: Int
    let batchCount: Int
    let chunkSize: Int
    let variants: [Variant]
    let columns: [String: [Double]]
    let rows: [(variant: Int, batch: Int, statistics: VariantStatistics)]
    let unitsDone: [Int]

    init(_ run: ExperimentRun) {
        id = run.id
        settings = run.settings
        shard = run.shard
        classes = run.classes
        batchCount = run.batchCount
        chunkSize = ExperimentRun.chunkSize
        variants = run.variants
        columns = run.columns
        rows = run.sortedRows
        unitsDone = run.unitsDone.sorted()
    }

    func makeRun(shard: Shard) -> ExperimentRun {
        ExperimentRun(id: id, settings: settings, variants: variants, columns: columns, classes: classes,
                      batchCount: batchCount, shard: shard)
    }

    func write(into root: Group) throws {
        let group = try root.createGroup(id)
        let run = makeRun(shard: shard)
        copyProgress(into: run)
        let blocks = variants.first?.steps.count ?? 0
        try group.setAttribute("experiment", String(id.split(separator: "/").last ?? Substring(id)))
        try group.setAttribute("status", run.isComplete ? "complete" : "partial")
        try group.setAttribute("settings", settings)
        try group.setAttribute("shard", shard.description)
        try group.setAttribute("classes", Int64(classes))
        try group.setAttribute("batches", Int64(batchCount))
        try group.setAttribute("chunk_size", Int64(chunkSize))
        try group.setAttribute("units_total", Int64(run.unitCount))
        try group.setAttribute("units_done", Int64(unitsDone.count))

        let v = try group.createGroup("variants")
        var dropped = [UInt8](repeating: 0, count: variants.count * blocks)
        for (i, variant) in variants.enumerated() { for block in variant.droppedBlocks { dropped[i * blocks + block] = 1 } }
        try v.createDataset("dropped", shape: [variants.count, blocks], values: dropped, options: .compressed.checksummed)
        try v.createDataset("order", shape: [variants.count, blocks],
                            values: variants.flatMap { $0.order.map { Int32($0) } }, options: .compressed.checksummed)
        // What happens at each position beyond run and skip (duplicate, scale), by BlockAction.code.
        if variants.contains(where: { !$0.interventions.isEmpty }) {
            try v.createDataset("actions", shape: [variants.count, blocks],
                                values: variants.flatMap { $0.steps.map(\.action.code) }, options: .compressed.checksummed)
                .setAttribute("codes", "0 run, 1 skip (the lesion), 2 twice (duplicate), 3 scale (see alphas), 4 reinit (see seeds)")
            try v.createDataset("alphas", shape: [variants.count, blocks],
                                values: variants.flatMap { $0.steps.map(\.action.alpha) }, options: .compressed.checksummed)
                .setAttribute("units", "factor on the branch's output at each position")
            try v.createDataset("seeds", shape: [variants.count, blocks],
                                values: variants.flatMap { $0.steps.map { Int64(bitPattern: $0.action.seed) } }, options: .compressed.checksummed)
                .setAttribute("units", "the seed a re-initialised block's weights were drawn from (0 elsewhere)")
        }
        for (name, values) in columns.sorted(by: { $0.key < $1.key }) {
            try v.createDataset(name, shape: [values.count], values: values, options: .checksummed)
        }

        let raw = try group.createGroup("raw")
        let width = 2 + VariantStatistics.columns(classes: classes).count
        let table = rows.flatMap { [Double($0.variant), Double($0.batch)] + $0.statistics.row }
        let dataset = try raw.createDataset("rows", shape: [rows.count, width], values: table,
                                            options: rows.isEmpty ? .plain : .compressed.checksummed)
        try dataset.setAttribute("columns", ["variant", "batch"] + VariantStatistics.columns(classes: classes))
        var done = [UInt8](repeating: 0, count: run.unitCount)
        for unit in unitsDone where unit < done.count { done[unit] = 1 }
        try raw.createDataset("units_done", shape: [done.count], values: done, options: .checksummed)

        guard run.isComplete else { return }
        let totals = run.totals
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

    /// Reads an experiment group back.
    init(reading group: Group) throws {
        id = String(group.path.dropFirst())   // the group's path: "drop_one", or "resnet56/drop_one"
        settings = try group.stringAttribute("settings")
        let shardText = try group.stringAttribute("shard")
        guard let shard = Shard(shardText) else {
            throw NetsError("\(group.file.path): \(group.path)@shard is '\(shardText)', expected i/n with 0 ≤ i < n")
        }
        self.shard = shard
        classes = Int(try group.attribute("classes", as: Int64.self))
        batchCount = Int(try group.attribute("batches", as: Int64.self))
        chunkSize = Int(try group.attribute("chunk_size", as: Int64.self))
        let dropped = try group.dataset("variants/dropped")
        let shape = try dropped.shape
        let (count, blocks) = (shape[0], shape[1])
        let mask = try dropped.read(as: UInt8.self)
        let order = try group.dataset("variants/order").read(as: Int32.self)
        let hasActions = group.contains("variants/actions")
        let codes = hasActions ? try group.dataset("variants/actions").read(as: UInt8.self, expectingShape: [count, blocks]) : []
        let alphas = hasActions ? try group.dataset("variants/alphas").read(as: Float.self, expectingShape: [count, blocks]) : []
        let seeds = hasActions ? try group.dataset("variants/seeds").read(as: Int64.self, expectingShape: [count, blocks]) : []
        variants = try (0..<count).map { i in
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
        var columns: [String: [Double]] = [:]
        for (name, kind) in try group.group("variants").members()
        where kind == .dataset && !["dropped", "order", "actions", "alphas", "seeds"].contains(name) {
            columns[name] = try group.dataset("variants/\(name)").read(as: Double.self)
        }
        self.columns = columns
        let table = try group.dataset("raw/rows")
        let width = 2 + VariantStatistics.columns(classes: classes).count
        try table.checkShape([nil, width])
        let values = try table.read(as: Double.self)
        let classes = self.classes
        rows = stride(from: 0, to: values.count, by: width).map { start in
            (Int(values[start]), Int(values[start + 1]),
             VariantStatistics(row: values[(start + 2)..<(start + width)], classes: classes))
        }
        unitsDone = try group.dataset("raw/units_done").read(as: UInt8.self).enumerated().filter { $0.element == 1 }.map(\.offset)
    }

    /// Throws unless `run` is the same experiment (settings, variants, batches, classes).
    func checkSameExperiment(as run: ExperimentRun, path: String, checkShard: Bool) throws {
        func differ(_ what: String) -> AnalysisError {
            AnalysisError(.conflict, "\(path): /\(id) was made with different \(what); resume only the same experiment, or write to a new file")
        }
        guard ExperimentRun.sameSettings(settings, run.settings) else { throw differ("settings (\(settings) vs \(run.settings))") }
        guard variants == run.variants else { throw differ("variants") }
        guard batchCount == run.batchCount else { throw differ("data (\(batchCount) batches vs \(run.batchCount))") }
        guard classes == run.classes, chunkSize == ExperimentRun.chunkSize else { throw differ("classes") }
        if checkShard && shard != run.shard { throw differ("--shard (\(shard) vs \(run.shard))") }
    }

    func copyProgress(into run: ExperimentRun) {
        for row in rows { run.rows[row.variant, default: [:]][row.batch] = row.statistics }
        run.unitsDone.formUnion(unitsDone)
    }

    /// Adds a shard's rows and units to a merged run; the same unit twice must hold the same numbers.
    func add(into run: ExperimentRun, path: String) throws {
        for row in rows {
            if let existing = run.rows[row.variant]?[row.batch], existing != row.statistics {
                throw AnalysisError(.badInput, "\(path): /\(id) disagrees with another shard on variant \(row.variant), batch \(row.batch)")
            }
            run.rows[row.variant, default: [:]][row.batch] = row.statistics
        }
        run.unitsDone.formUnion(unitsDone)
    }
}
