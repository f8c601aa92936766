import Foundation
import HDF5
import Nets

/// What a results file holds, read back for the report: one entry per network.
public struct StudyResults {
    /// One image kept by the exact gradient measurement, and the gradient each path length carries.
    public struct SavedImage {
        public var label: Int
        public var channels: Int, height: Int, width: Int
        /// The preprocessed input, (C, H, W).
        public var image: [Float]
        /// c_k for k = 0…, each (C, H, W).
        public var gradients: [[Float]]
    }

    /// A per-block experiment (drop one, duplicate, scale, ablate, reinit, with or without batch
    /// norms re-estimated): the intact variant left out.
    public struct PerBlock {
        public var kind: ExperimentKind
        public var recalibrated: Bool
        public var intactError: Double
        public var blocks: [Double]
        /// scale: each variant's α; nil for the others.
        public var alphas: [Double]?
        public var error: [Double]
        /// The paired 95% interval of each variant's error, within [0, 1].
        public var low: [Double]
        public var high: [Double]
    }

    public struct Series {
        public var x: [Double]
        public var y: [Double]
    }

    public struct CKAMatrix {
        public var columnsName: String
        public var values: [[Double]]
        public var rowDownsampling: [Int]
        public var columnDownsampling: [Int]
    }

    /// An experiment group of an interrupted run, or of one shard: its work units done of all.
    public struct Unfinished: Equatable, Sendable {
        public var experiment: String
        public var done: Int
        public var total: Int
    }

    public struct NetworkResults {
        public var name: String
        /// Experiments the file holds only in part: neither drawn nor judged until finished.
        public var unfinished: [Unfinished] = []
        /// The network's group in a several-network file ("resnet56"); nil in a one-network file.
        public var group: String?
        public var blockNames: [String] = []
        public var blockKinds: [String] = []
        public var downsampling: [Int] = []
        public var intactError: Double?
        /// The images the intact error was measured on, when the file says.
        public var intactImages: Int?
        /// The classifier's class count (from the experiment groups).
        public var classes: Int?
        /// drop_one: the removed block and the error without it.
        public var dropOne: Series? { plainDropOne.map { Series(x: $0.blocks, y: $0.error) } }
        /// drop_one: the paired 95% interval of each removal's error (intact error + Δ bounds).
        public var dropOneInterval: (low: [Double], high: [Double])? { plainDropOne.map { ($0.low, $0.high) } }
        /// drop_one with the trained batch-norm statistics.
        var plainDropOne: PerBlock? { perBlock.first { $0.kind == .dropOne && !$0.recalibrated } }
        /// Every block is plain: the control network, with a single path.
        public var isPlain: Bool { !blockKinds.isEmpty && blockKinds.allSatisfy { $0 == "plain" } }
        /// drop_many: k, and the mean, lowest and highest error over the sets.
        public var dropMany: (k: [Double], mean: [Double], low: [Double], high: [Double])?
        /// reorder: Kendall τ and error of each order, and its number of swaps.
        public var reorder: Series?
        public var reorderSwaps: [Double]?
        /// reorder: the paired 95% interval of each order's error, within [0, 1].
        public var reorderInterval: (low: [Double], high: [Double])?
        /// paths: length and share of paths.
        public var pathShares: Series?
        /// grads: per-path magnitude by length (exact or sampled) and total contribution.
        public var perPathMagnitude: Series?
        public var totalContribution: Series?
        public var effectiveLengths: ClosedRange<Int>?
        public var gradientMethod: String?
        /// drop_one/class_error: each row of variants (intact first) by class.
        public var dropOneClassError: [[Double]]?
        /// Every per-block experiment in the file, by kind.
        public var perBlock: [PerBlock] = []
        /// grads_exact --save-images: images (C, H, W) with their per-length input gradients.
        public var savedImages: [SavedImage] = []
        /// highway: mean transform gate per layer.
        public var gates: Series?
        /// lens: the head's error per block it reads directly, and through fitted projections.
        public var lensError: Series?
        public var lensProjectedError: Series?
        /// linear_probes: held-out accuracy per block, and the network's own on the same images.
        public var probeAccuracy: Series?
        public var probeNetworkAccuracy: Double?
        /// cka: the matrix between this network's blocks (rows) and the columns' network's.
        public var cka: CKAMatrix?
        /// inference: cos(f(h), −∂L/∂h) per block where defined.
        public var inferenceCosine: Series?
        public var attributes: [(String, String)] = []
    }

    public var path: String
    public var attributes: [(String, String)]
    public var networks: [NetworkResults]

    /// Results put together by hand, as a custom probe or a test would.
    public init(path: String, attributes: [(String, String)], networks: [NetworkResults]) {
        self.path = path
        self.attributes = attributes
        self.networks = networks
    }

    public init(_ path: String) throws {
        self.path = path
        let root = try ResultsFile.openRoot(path)
        attributes = try StudyResults.attributes(of: root)
        let experimentNames = ["drop_one", "drop_many", "reorder", "paths", "grads_exact", "grads_sampled", "highway_gates", "model",
                               "lens", "linear_probes", "cka", "inference"]
        let members = try root.members().filter { $0.kind == .group }.map(\.name)
        if members.contains(where: { experimentNames.contains($0) }) {
            networks = [try StudyResults.read(root, name: "network", group: nil)]
        } else {
            networks = try ResultsFile.inStudyOrder(members, in: root).map {
                try StudyResults.read(try root.group($0), name: $0, group: $0)
            }
        }
    }

    /// Says which experiments are unfinished, and how to finish them; nil when none is.
    public var unfinishedNote: String? {
        let parts = networks.flatMap { n in
            n.unfinished.map { "/\(n.group.map { "\($0)/" } ?? "")\($0.experiment) has \($0.done) of \($0.total) work units" }
        }
        guard !parts.isEmpty else { return nil }
        return "\((path as NSString).lastPathComponent) is unfinished: " + parts.joined(separator: ", ")
            + ". Only finished experiments are drawn and judged. Finish them by running the command that wrote the file "
            + "again with --resume, or, for the shards of a sharded run, with lesion merge"
    }

    static func attributes(of node: Node) throws -> [(String, String)] {
        try node.attributeNames.map { name in
            switch try node.attributeType(name) {
            case .string: return (name, try node.stringArrayAttribute(name).joined(separator: ", "))
            case .integer: return (name, try node.attributeArray(name, as: Int64.self, converting: true).map(String.init).joined(separator: ", "))
            default: return (name, try node.attributeArray(name, as: Double.self, converting: true).map { "\($0)" }.joined(separator: ", "))
            }
        }
    }

    /// Paired 95% intervals as error rates: the intact error plus each variant's Δ bounds, within
    /// [0, 1] whatever the normal approximation of the interval says.
    private static func errorInterval(intact: Double, low: [Double], high: [Double]) -> (low: [Double], high: [Double]) {
        (low.map { min(max(intact + $0, 0), 1) }, high.map { min(max(intact + $0, 0), 1) })
    }

    /// The images a `grads_exact` group keeps (--save-images), with their per-length gradients:
    /// for the report, and for a resumed run to take up.
    static func savedImages(in gradients: Group) throws -> [SavedImage] {
        guard gradients.contains("saved_gradients") else { return [] }
        let images = try gradients.dataset("saved_images"), perLength = try gradients.dataset("saved_gradients")
        let shape = try perLength.shape, imageShape = try images.shape
        guard shape.count == 5, imageShape == [shape[0], shape[2], shape[3], shape[4]] else {
            throw NetsError("\(gradients.file.path): \(gradients.path)/saved_gradients is \(shape), expected (N, lengths, C, H, W) "
                            + "matching saved_images \(imageShape)")
        }
        let (n, lengths, size) = (shape[0], shape[1], shape[2] * shape[3] * shape[4])
        let pixels = try images.read(as: Float.self, converting: true), values = try perLength.read(as: Float.self, converting: true)
        let labels = try gradients.dataset("saved_labels").read(as: Int64.self, converting: true)
        return (0..<n).map { i in
            SavedImage(label: Int(labels[i]), channels: shape[2], height: shape[3], width: shape[4],
                       image: Array(pixels[(i * size)..<((i + 1) * size)]),
                       gradients: (0..<lengths).map { k in Array(values[((i * lengths + k) * size)..<((i * lengths + k + 1) * size)]) })
        }
    }

    /// The dataset at `path` under `group` as Doubles, or nil when the file has none there.
    private static func doubles(_ group: Group, _ path: String) throws -> [Double]? {
        group.contains(path) ? try group.dataset(path).read(as: Double.self, converting: true) : nil
    }

    /// The representation probes' groups (lens, linear_probes, cka, inference).
    private static func readProbes(_ group: Group, into result: inout NetworkResults) throws {
        func doubles(_ path: String) throws -> [Double]? { try StudyResults.doubles(group, path) }
        /// The points of a per-block column where it is defined.
        func defined(_ blocks: [Double], _ values: [Double]) -> Series {
            let kept = values.indices.filter { values[$0].isFinite }
            return Series(x: kept.map { blocks[$0] }, y: kept.map { values[$0] })
        }
        if let blocks = try doubles("lens/block"), let error = try doubles("lens/error") {
            result.lensError = defined(blocks, error)
            result.lensProjectedError = try doubles("lens/projected_error").map { defined(blocks, $0) }
        }
        if let blocks = try doubles("linear_probes/block"), let accuracy = try doubles("linear_probes/accuracy") {
            result.probeAccuracy = Series(x: blocks, y: accuracy)
            result.probeNetworkAccuracy = try group.group("linear_probes").attribute("network_accuracy", as: Double.self)
        }
        if group.contains("cka/matrix") {
            let cka = try group.group("cka"), matrix = try cka.dataset("matrix")
            let shape = try matrix.shape
            guard shape.count == 2 else {
                throw NetsError("\(group.file.path): \(group.path)/cka/matrix is \(shape), expected (rows, columns)")
            }
            let values = try matrix.read(as: Double.self, converting: true)
            result.cka = CKAMatrix(columnsName: try cka.stringAttribute("columns"),
                                   values: (0..<shape[0]).map { Array(values[($0 * shape[1])..<(($0 + 1) * shape[1])]) },
                                   rowDownsampling: try cka.attributeArray("row_downsampling_blocks", as: Int64.self).map { Int($0) },
                                   columnDownsampling: try cka.attributeArray("column_downsampling_blocks", as: Int64.self).map { Int($0) })
        }
        if let blocks = try doubles("inference/block"), let cosine = try doubles("inference/cosine") {
            result.inferenceCosine = defined(blocks, cosine)
        }
    }

    private static func read(_ group: Group, name: String, group groupName: String?) throws -> NetworkResults {
        var result = NetworkResults(name: name, group: groupName)
        func doubles(_ path: String) throws -> [Double]? { try StudyResults.doubles(group, path) }
        if group.contains("model") {
            let model = try group.group("model")
            result.name = try model.stringAttribute("name")
            result.blockNames = try model.stringArrayAttribute("block_names")
            result.blockKinds = try model.stringArrayAttribute("block_kinds")
            result.downsampling = try model.attributeArray("downsampling_blocks", as: Int64.self).map { Int($0) }
            result.attributes = try attributes(of: model)
        }
        for (member, kind) in try group.members() where kind == .group {
            let experiment = try group.group(member)
            guard experiment.hasAttribute("status"), try experiment.stringAttribute("status") == "partial" else { continue }
            result.unfinished.append(Unfinished(experiment: member,
                                                done: Int(try experiment.attribute("units_done", as: Int64.self, converting: true)),
                                                total: Int(try experiment.attribute("units_total", as: Int64.self, converting: true))))
        }
        for experiment in ExperimentKind.allCases.map(\.rawValue) where result.classes == nil && group.contains(experiment) {
            result.classes = Int(try group.group(experiment).attribute("classes", as: Int64.self))
        }
        if group.contains("drop_one/class_error"), let classes = result.classes {
            let values = try group.dataset("drop_one/class_error").read(as: Double.self, converting: true)
            result.dropOneClassError = stride(from: 0, to: values.count, by: classes).map { Array(values[$0..<min($0 + classes, values.count)]) }
        }
        for kind in [ExperimentKind.dropOne, .duplicate, .scale, .ablate, .reinit] {
            for recalibrated in [false, true] {
                let name = kind.rawValue + (recalibrated ? ExperimentKind.recalibratedSuffix : "")
                guard let error = try doubles("\(name)/error"), let blocks = try doubles("\(name)/variants/block"),
                      let low = try doubles("\(name)/delta_error_low"), let high = try doubles("\(name)/delta_error_high"),
                      !error.isEmpty else { continue }
                let interval = errorInterval(intact: error[0], low: Array(low.dropFirst()), high: Array(high.dropFirst()))
                result.perBlock.append(PerBlock(kind: kind, recalibrated: recalibrated, intactError: error[0], blocks: Array(blocks.dropFirst()),
                                                alphas: try doubles("\(name)/variants/alpha").map { Array($0.dropFirst()) },
                                                error: Array(error.dropFirst()), low: interval.low, high: interval.high))
            }
        }
        if let dropOne = result.plainDropOne {
            result.intactError = dropOne.intactError
            result.intactImages = try doubles("drop_one/images")?.first.map { Int($0) }
        }
        if let error = try doubles("drop_many/error"), let k = try doubles("drop_many/variants/k") {
            if result.intactError == nil, let intact = error.first {
                result.intactError = intact
                result.intactImages = try doubles("drop_many/images")?.first.map { Int($0) }
            }
            let groups = Dictionary(grouping: zip(k, error).dropFirst(), by: { $0.0 })
            let ks = groups.keys.sorted()
            result.dropMany = (ks, ks.map { key in groups[key]!.map(\.1).reduce(0, +) / Double(groups[key]!.count) },
                               ks.map { key in groups[key]!.map(\.1).min()! }, ks.map { key in groups[key]!.map(\.1).max()! })
        }
        if let error = try doubles("reorder/error"), let tau = try doubles("reorder/variants/kendall_tau") {
            result.reorder = Series(x: tau, y: error)
            result.reorderSwaps = try doubles("reorder/variants/swaps")
            if let low = try doubles("reorder/delta_error_low"), let high = try doubles("reorder/delta_error_high") {
                result.reorderInterval = errorInterval(intact: error[0], low: low, high: high)
            }
        }
        if let share = try doubles("paths/share") {
            result.pathShares = Series(x: share.indices.map(Double.init), y: share)
        }
        if let norms = try doubles("grads_exact/norm_of_sum"), let perPath = try doubles("grads_exact/norm_of_sum_per_path") {
            let lengths = norms.indices.map(Double.init)
            result.gradientMethod = "exact"
            result.perPathMagnitude = Series(x: lengths, y: perPath)
            result.totalContribution = Series(x: lengths, y: norms)
            let range = try group.group("grads_exact").attributeArray("effective_lengths_90", as: Int64.self)
            if range.count == 2 { result.effectiveLengths = Int(range[0])...Int(range[1]) }
            result.savedImages = try savedImages(in: try group.group("grads_exact"))
        } else if let means = try doubles("grads_sampled/mean_norm"), let lengths = try doubles("grads_sampled/length"),
                  let total = try doubles("grads_sampled/total_contribution") {
            result.gradientMethod = "sampled"
            result.perPathMagnitude = Series(x: lengths, y: means)
            result.totalContribution = Series(x: lengths, y: total)
            let effective = shortestInterval(of: total, holding: 0.9)
            result.effectiveLengths = Int(lengths[effective.range.lowerBound])...Int(lengths[effective.range.upperBound])
        }
        if let gates = try doubles("highway_gates/mean_gate"), let layers = try doubles("highway_gates/layer") {
            result.gates = Series(x: layers, y: gates)
        }
        try readProbes(group, into: &result)
        return result
    }
}
