import HDF5

/// The batches a probe that keeps running sums has added, so that a save part-way can say how far
/// it got and a resumed run adds the rest in the order an uninterrupted one does: sums resumed
/// from the file then equal an uninterrupted run's bit for bit.
struct RunningBatches: Sendable {
    /// The batches the probe measures: the dataset's (`count`), or its first `limit`; unknown
    /// for a library caller's probe, which is never resumed and measures every batch it is given.
    let count: Int?
    let limit: Int?
    /// The last batch the sums include (-1 before the first).
    private(set) var last = -1

    init(count: Int?, limit: Int? = nil) {
        self.count = count
        self.limit = limit
    }

    /// The batches it measures in all, when known.
    var total: Int? { [count, limit].compactMap { $0 }.min() }

    /// Batches already in the sums are not measured again. Without a batch count, every batch
    /// within the limit is, so one probe can add up several runs.
    func wants(_ index: Int) -> Bool { (limit.map { index < $0 } ?? true) && (count == nil || index > last) }

    var isComplete: Bool { count == nil || last >= (total ?? 0) - 1 }

    mutating func added(_ index: Int) { last = index }

    /// The status, units and `last_batch` a save records beside the sums (`rows`).
    func writeProgress(_ group: Group, settings: String, rows: [Double], columns: [String]) throws {
        try group.writeProgress(complete: isComplete, settings: settings, unitsTotal: total ?? last + 1, unitsDone: last + 1,
                                rows: rows, columns: columns)
        try group.setAttribute("last_batch", Int64(last))
    }

    /// The sums an earlier run saved in `group` (`columns.count` values a row, `rows` rows), with
    /// the last batch they include; nil when an earlier Unravel wrote the group whole, without
    /// them (it is then measured again and replaced, as that Unravel did).
    mutating func resume(from group: Group, settings: String, columns: [String], rows: Int, path: String) throws -> [[Double]]? {
        guard let table = try group.resumableRows(width: columns.count, settings: settings, path: path) else { return nil }
        guard table.count == rows * columns.count, group.hasAttribute("last_batch") else {
            throw AnalysisError(.badInput, "\(path): \(group.path)/raw/rows holds \(table.count / max(columns.count, 1)) rows, "
                                + "this measurement keeps \(rows)")
        }
        last = Int(try group.attribute("last_batch", as: Int64.self))
        return (0..<rows).map { Array(table[($0 * columns.count)..<(($0 + 1) * columns.count)]) }
    }
}
