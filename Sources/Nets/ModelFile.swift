import Foundation
import HDF5

/// Unravel's model file: self-describing HDF5 (docs/model-format.md). Reading also accepts Keras
/// files (KerasModel) and Caffe prototxts with their weights beside them (CaffeModel).
///
///     /                       attrs: format = "unravel-model", format_version = 1,
///                                    architecture = JSON (Architecture), source (free text)
///     /weights/<name>         float32, PyTorch layout, state_dict names ("layer1.0.conv1.weight")
public enum ModelFile {
    public static let format = "unravel-model"
    public static let version: Int64 = 1

    /// Reads the architecture and weights, checking the format and every weight's values.
    public static func read(_ path: String) throws -> (architecture: Architecture, weights: Weights) {
        let (architecture, weights, _) = try readAnyFormat(path)
        return (architecture, weights)
    }

    /// Loads and compiles a network. One from an Unravel model file reads its weights again
    /// from the file if it needs them after compiling (`WeightsOrigin`); one converted from
    /// Keras or Caffe keeps them.
    public static func load(_ path: String) throws -> Network {
        let version = FileVersion(of: path)   // taken first, so that a write during the read shows
        let (architecture, weights, ownFormat) = try readAnyFormat(path)
        if ownFormat, let version {
            return try Network(architecture, weights: consume weights, origin: WeightsOrigin(rereading: version))
        }
        return try Network(architecture, weights: weights)
    }

    private static func readAnyFormat(_ path: String) throws -> (Architecture, Weights, ownFormat: Bool) {
        if let foreign = ForeignFile(path) { throw NetsError(foreign.asModel(path)) }
        if let (architecture, weights) = try KerasModel.readIfKeras(path) { return (architecture, weights, false) }
        if CaffeModel.isPrototxt(path) {
            let (architecture, weights) = try CaffeModel.read(prototxt: path)
            return (architecture, weights, false)
        }
        let (architecture, weights) = try readOwnFormat(path)
        return (architecture, weights, true)
    }

    private static func readOwnFormat(_ path: String) throws -> (architecture: Architecture, weights: Weights) {
        let file = try File.open(path)
        let root = try file.root
        let found = root.hasAttribute("format") ? try root.stringAttribute("format") : nil
        guard found == format else {
            // Two files on one command line are easily swapped: say what this one is.
            let what = found.map { "its root attribute 'format' is '\($0)'" + ($0 == "unravel-results" ? ", a results file" : "") }
                ?? (root.contains("images") && root.contains("labels") ? "it holds /images and /labels: a dataset, which comes second"
                    : "the root attribute 'format' is not '\(format)'")
            throw NetsError("\(path): not an Unravel model file (\(what)); export one with notebooks-export/export_pytorch.py")
        }
        let version = try root.attribute("format_version", as: Int64.self, converting: true)
        guard version <= ModelFile.version else {
            throw NetsError("\(path): model format version \(version) is newer than this Unravel reads (\(ModelFile.version))")
        }
        let json = try root.stringAttribute("architecture")
        var architecture: Architecture
        do {
            let fields = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
            if fields?["graph"] != nil {
                let graph = try JSONDecoder().decode(GraphArchitecture.self, from: Data(json.utf8))
                architecture = try graph.architecture(source: "\(path): /@architecture")
            } else {
                architecture = try JSONDecoder().decode(Architecture.self, from: Data(json.utf8))
            }
        } catch let error as NetsError {
            throw error
        } catch {
            throw NetsError("\(path): /@architecture is not a valid architecture: \(describe(error))")
        }
        if let name = architecture.preprocessing.meanImageDataset {
            let input = architecture.input
            guard root.contains(name) else {
                throw NetsError("\(path): the preprocessing names a mean image '/\(name)', which the file lacks")
            }
            let values = try root.dataset(name).read(as: Float.self, expectingShape: [input.channels, input.height, input.width],
                                                     converting: true)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw NetsError("\(path): /\(name) holds \(values[bad]) at flat index \(bad)")
            }
            architecture.preprocessing.meanImage = values
        }
        var weights = Weights(source: path)
        guard root.contains("weights") else { throw NetsError("\(path): no /weights group") }
        let group = try root.group("weights")
        for (name, kind) in try group.members() where kind == .dataset {
            let dataset = try group.dataset(name)
            guard case .float = try dataset.storedType else {
                throw NetsError("\(path): /weights/\(name) holds \(try dataset.storedType), expected float32")
            }
            weights.entries[name] = Weights.Entry(shape: try dataset.shape,
                                                  values: try dataset.read(as: Float.self, converting: true))
        }
        return (architecture, weights)
    }

    /// Writes a model file (failing if it exists unless `overwrite`). It is written beside the
    /// target and renamed into place, so an interrupted write leaves no half-written model.
    public static func write(_ path: String, architecture: Architecture, weights: Weights, source: String = "",
                             overwrite: Bool = false) throws {
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw NetsError(.conflict, "\(path): the file exists (overwrite it explicitly)")
        }
        try File.writeWhole(path) { file in
            let root = try file.root
            try root.setAttribute("format", format)
            try root.setAttribute("format_version", version)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try root.setAttribute("architecture", String(decoding: try encoder.encode(architecture), as: UTF8.self))
            try root.setAttribute("source", source)
            if let meanImage = architecture.preprocessing.meanImage {
                let input = architecture.input
                try root.createDataset(architecture.preprocessing.meanImageDataset ?? "mean_image",
                                       shape: [input.channels, input.height, input.width], values: meanImage)
            }
            let group = try root.createGroup("weights")
            for (name, entry) in weights.entries.sorted(by: { $0.key < $1.key }) {
                try group.createDataset(name, shape: entry.shape, values: entry.values)
            }
        }
    }

    /// The graph form of the architecture attribute: the layers as captured, blocks not yet found.
    struct GraphArchitecture: Decodable {
        var name: String
        var input: InputShape
        var preprocessing: Preprocessing?
        var graph: LayerGraph
        var classes: Int?
        var trainedWith: [String]?
        var batchNormFolded: Bool?

        enum CodingKeys: String, CodingKey {
            case name, input, preprocessing, graph, classes
            case trainedWith = "trained_with"
            case batchNormFolded = "batchnorm_folded"
        }

        func architecture(source: String) throws -> Architecture {
            var found = try BlockFinder(graph, source: source).architecture(name: name, input: input,
                                                                             preprocessing: preprocessing ?? .identity,
                                                                             classes: classes, trainedWith: trainedWith ?? [])
            found.batchNormFolded = batchNormFolded ?? false
            return found
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\(key.stringValue)' at \(path(context))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.debugDescription) at \(path(context))"
        case DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription) at \(path(context))"
        default:
            return "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let parts = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return parts.isEmpty ? "the top level" : parts
    }
}
