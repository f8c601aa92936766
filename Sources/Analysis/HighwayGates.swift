import HDF5
import Nets

/// How much each highway layer transforms and how much it carries: the transform gate T over the
/// data, per layer (mean and a histogram), and the path-length distribution weighted by the gates.
public final class HighwayGates: Probe, ResultsGroup {
    public let network: Network
    public let layers: [Int]
    public static let bins = 20
    private var sums: [Double]
    private var counts: [Double]
    private var histograms: [[Double]]

    public init(network: Network) throws {
        self.network = network
        layers = (0..<network.blockCount).filter { network.architecture.blocks[$0].kind == .highway }
        guard !layers.isEmpty else { throw NetsError("the network has no highway layers") }
        sums = [Double](repeating: 0, count: layers.count)
        counts = sums
        histograms = [[Double]](repeating: [Double](repeating: 0, count: HighwayGates.bins), count: layers.count)
    }

    public var name: String { "highway_gates" }
    public var id: String { name }
    public var reads: [HookPoint] { layers.map { .blockGate($0) } }

    public func observe(_ batch: Batch) throws {
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

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        let distribution = weightedDistribution
        try group.setAttribute("expected_path_length", distribution.mean)
        try group.column("layer", layers.map(Double.init), units: "block number")
        try group.column("mean_gate", meanGates, units: "mean transform gate T over units and images (0 carries, 1 transforms)")
        try group.createDataset("gate_histogram", shape: [layers.count, HighwayGates.bins],
                                values: zip(histograms, counts).flatMap { row, n in row.map { $0 / max(n, 1) } }, options: .checksummed)
            .setAttribute("units", "share of gate values in [i/20, (i+1)/20)")
        try group.column("weighted_length_share", distribution.shares, units: "probability of each path length under the mean gates")
    }
}
