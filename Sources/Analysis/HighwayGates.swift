import HDF5
import Nets

/// How much each highway layer transforms and how much it carries: the transform gate T over the
/// data, per layer (mean and a histogram), and the path-length distribution weighted by the gates.
///
/// Its running sums are saved as the run goes (`raw/rows`, with the last batch they include), so
/// an interrupted run resumes from there and adds the rest in the order an uninterrupted one does.
public final class HighwayGates: Probe, ResumableGroup {
    public let network: Network
    public let layers: [Int]
    public static let bins = 20
    private var sums: [Double]
    private var counts: [Double]
    private var histograms: [[Double]]
    private var batches: RunningBatches
    /// The dataset's batches, all measured, when known: with it, a save part-way is marked partial.
    public var batchCount: Int? { batches.count }

    public init(network: Network, batchCount: Int? = nil) throws {
        self.network = network
        batches = RunningBatches(count: batchCount)
        layers = (0..<network.blockCount).filter { network.architecture.blocks[$0].kind == .highway }
        guard !layers.isEmpty else { throw NetsError("the network has no highway layers") }
        sums = [Double](repeating: 0, count: layers.count)
        counts = sums
        histograms = [[Double]](repeating: [Double](repeating: 0, count: HighwayGates.bins), count: layers.count)
    }

    public var name: String { "highway_gates" }
    public var id: String { name }
    public var reads: [HookPoint] { layers.map { .blockGate($0) } }
    public var isComplete: Bool { batches.isComplete }
    public func wants(batch index: Int) -> Bool { batches.wants(index) }

    public func observe(_ batch: Batch) throws {
        defer { batches.added(batch.index) }
        for (row, layer) in layers.enumerated() {
            let gate = try batch.activation(.blockGate(layer))
            for i in 0..<gate.count {
                let t = Double(gate.pointer[i])
                sums[row] += t
                histograms[row][min(Int(t * Double(HighwayGates.bins)), HighwayGates.bins - 1)] += 1
            }
            counts[row] += Double(gate.count)
        }
    }

    /// Mean transform gate per highway layer.
    public var meanGates: [Double] { zip(sums, counts).map { $0 / max($1, 1) } }

    /// The path-length distribution with each highway layer weighted by its mean gate.
    public var weightedDistribution: PathDistribution {
        PathDistribution(network: network, gates: Dictionary(uniqueKeysWithValues: zip(layers, meanGates)))
    }

    /// What determines the numbers, checked on resume.
    var settings: String { ExperimentRun.encode(["batches": batchCount.map(String.init) ?? "all", "bins": "\(HighwayGates.bins)"]) }

    static let rowColumns = ["sum", "count"] + (0..<HighwayGates.bins).map { "bin_\($0)" }

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try batches.writeProgress(group, settings: settings, rows: layers.indices.flatMap { [sums[$0], counts[$0]] + histograms[$0] },
                                  columns: HighwayGates.rowColumns)
        guard isComplete else { return }
        let distribution = weightedDistribution
        try group.setAttribute("expected_path_length", distribution.mean)
        try group.column("layer", layers.map(Double.init), units: "block number")
        try group.column("mean_gate", meanGates, units: "mean transform gate T over units and images (0 carries, 1 transforms)")
        try group.createDataset("gate_histogram", shape: [layers.count, HighwayGates.bins],
                                values: zip(histograms, counts).flatMap { row, n in row.map { $0 / max(n, 1) } }, options: .checksummed)
            .setAttribute("units", "share of gate values in [i/20, (i+1)/20)")
        try group.column("weighted_length_share", distribution.shares, units: "probability of each path length under the mean gates")
    }

    /// Takes up the running sums an earlier run saved in `group`. A group an earlier Unravel
    /// wrote whole, without them, is measured again and replaced, as that Unravel did.
    public func resume(from group: Group, path: String) throws {
        guard let table = try batches.resume(from: group, settings: settings, columns: HighwayGates.rowColumns, rows: layers.count,
                                             path: path) else { return }
        for (row, values) in table.enumerated() { (sums[row], counts[row], histograms[row]) = (values[0], values[1], Array(values.dropFirst(2))) }
    }
}
