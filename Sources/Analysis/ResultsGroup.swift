import HDF5

/// A group of a results file that is written whole (path counts, gradient measurements), beside
/// the resumable lesion experiments.
public protocol ResultsGroup {
    /// The group's name, e.g. "paths".
    var id: String { get }
    func write(into root: Group) throws
}

/// A group measured batch by batch whose state a save can hold part-way (status "partial"):
/// an interrupted run takes it up with --resume instead of starting it again.
public protocol ResumableGroup: Probe, ResultsGroup {
    /// Whether every batch it wants is done.
    var isComplete: Bool { get }
    /// Takes up what an earlier run saved in `group`, read from `path`; throws if that run
    /// measured with other settings.
    func resume(from group: Group, path: String) throws
}

extension Group {
    /// What a resumable group saves of its progress, read back by `resumableRows`, by `lesion
    /// merge` and by the report (status, settings, units) and by the group itself (`raw/rows`,
    /// `columns.count` values a row).
    func writeProgress(complete: Bool, settings: String, unitsTotal: Int, unitsDone: Int, rows: [Double], columns: [String]) throws {
        try setAttribute("status", complete ? "complete" : "partial")
        try setAttribute("settings", settings)
        try setAttribute("units_total", Int64(unitsTotal))
        try setAttribute("units_done", Int64(unitsDone))
        try createGroup("raw").createDataset("rows", shape: [rows.count / max(columns.count, 1), columns.count], values: rows,
                                             options: rows.isEmpty ? .plain : .checksummed)
            .setAttribute("columns", columns)
    }

    /// The rows a resumable group saved (`raw/rows`, `width` columns) once its settings are
    /// checked against `settings`; nil when an earlier Unravel wrote the group whole, without rows
    /// (it is then measured again and replaced, as that Unravel did). `path` is the file's.
    func resumableRows(width: Int, settings: String, path: String) throws -> [Double]? {
        guard hasAttribute("settings"), contains("raw/rows") else { return nil }
        let held = try stringAttribute("settings")
        guard ExperimentRun.sameSettings(held, settings) else {
            throw AnalysisError(.conflict, "\(path): \(self.path) was made with other settings (\(held) vs \(settings)); "
                                + "resume only the same measurement, or write to a new file")
        }
        return try dataset("raw/rows").read(as: Double.self, expectingShape: [nil, width])
    }

    /// A 1-D float64 dataset with a units attribute.
    @discardableResult
    func column(_ name: String, _ values: [Double], units: String) throws -> Dataset {
        let dataset = try createDataset(name, shape: [values.count], values: values, options: .checksummed)
        try dataset.setAttribute("units", units)
        return dataset
    }
}

/// A results group written under a named group, e.g. "resnet56/paths".
public struct PrefixedGroup: ResultsGroup {
    public let prefix: String
    public let inner: ResultsGroup

    public init(_ prefix: String, _ inner: ResultsGroup) {
        self.prefix = prefix
        self.inner = inner
    }

    public var id: String { "\(prefix)/\(inner.id)" }

    public func write(into root: Group) throws {
        try inner.write(into: try root.groupCreatingIfNeeded(prefix))
    }
}
