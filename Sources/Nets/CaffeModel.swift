import CaffeProto
import Foundation
import HDF5

/// A trained Caffe network: the definition from a prototxt, the weights from a binary
/// .caffemodel or from the HDF5 snapshot Caffe's solver writes (.caffemodel.h5, each layer's
/// blobs at /data/<layer>/0, 1, …).
///
/// Blobs become Unravel's weights under the layer's name: a convolution's or inner product's
/// weight and bias (both in PyTorch's layout already), and for a batch norm its mean and
/// variance divided by Caffe's third blob, the moving-average scale factor, with γ and β from the
/// Scale layer that follows it (1 and 0 without one).
public enum CaffeModel {
    public static func read(prototxt: String, weights path: String) throws -> (architecture: Architecture, weights: Weights) {
        let net = try CaffeNet.readPrototxt(prototxt)
        var converter = CaffeConverter(net)
        let architecture = try converter.architecture()
        let blobs: (String) throws -> [Blob]
        let head = FileHandle(forReadingAtPath: path).map { handle in defer { try? handle.close() }; return handle.readData(ofLength: 8) }
        guard let head else { throw NetsError("\(path): cannot open the weights file") }
        if H5Signature.matches(head) {
            let root = try File.open(path).root
            guard root.contains("data") else { throw NetsError("\(path): no /data group, as a Caffe HDF5 snapshot has") }
            blobs = { layer in try hdf5Blobs(root, layer: layer, path: path) }
        } else {
            let trained = try CaffeNet.readBinary(path)
            let byName = Dictionary(trained.layers.map { ($0.name, $0.parameters.blobs) }, uniquingKeysWith: { first, _ in first })
            blobs = { layer in (byName[layer] ?? []).map(Blob.init) }
        }
        var entries: [String: Weights.Entry] = [:]
        for (layer, kind) in converter.parameterized {
            let stored = try blobs(layer)
            func take(_ index: Int, _ shape: [Int], from name: String = layer, _ of: [Blob]? = nil) throws -> [Float] {
                let list = of ?? stored
                guard index < list.count else {
                    throw NetsError("\(path): layer '\(name)' has \(list.count) blob(s); blob \(index) of shape \(shape) was expected")
                }
                guard list[index].values.count == shape.reduce(1, *) else {
                    throw NetsError("\(path): layer '\(name)' blob \(index) is \(list[index].shape) (\(list[index].values.count) values), "
                                    + "expected \(shape)")
                }
                return list[index].values
            }
            switch kind {
            case .conv(let out, let inPerGroup, let kernel, let bias):
                let shape = [out, inPerGroup, kernel, kernel]
                entries["\(layer).weight"] = Weights.Entry(shape: shape, values: try take(0, shape))
                if bias { entries["\(layer).bias"] = Weights.Entry(shape: [out], values: try take(1, [out])) }
            case .linear(let out, let input, let bias):
                entries["\(layer).weight"] = Weights.Entry(shape: [out, input], values: try take(0, [out, input]))
                if bias { entries["\(layer).bias"] = Weights.Entry(shape: [out], values: try take(1, [out])) }
            case .batchnorm(let c):
                let factor = try take(2, [1])[0]
                // Caffe's rule: a zero factor (never updated) means zero statistics.
                let scale: Float = factor == 0 ? 0 : 1 / factor
                entries["\(layer).running_mean"] = Weights.Entry(shape: [c], values: try take(0, [c]).map { $0 * scale })
                entries["\(layer).running_var"] = Weights.Entry(shape: [c], values: try take(1, [c]).map { $0 * scale })
                if let scaleLayer = converter.scaleOf[layer] {
                    let affine = try blobs(scaleLayer)
                    entries["\(layer).weight"] = Weights.Entry(shape: [c], values: try take(0, [c], from: scaleLayer, affine))
                    entries["\(layer).bias"] = Weights.Entry(shape: [c], values: try take(1, [c], from: scaleLayer, affine))
                } else {
                    entries["\(layer).weight"] = Weights.Entry(shape: [c], values: [Float](repeating: 1, count: c))
                    entries["\(layer).bias"] = Weights.Entry(shape: [c], values: [Float](repeating: 0, count: c))
                }
            }
        }
        for (layer, coefficient) in converter.coefficientOf {
            for name in ["\(layer).weight", "\(layer).bias"] {
                if let entry = entries[name] { entries[name] = Weights.Entry(shape: entry.shape, values: entry.values.map { $0 * coefficient }) }
            }
        }
        return (architecture, Weights(entries, source: path))
    }

    /// One stored blob: its shape as written (legacy 4-D shapes included) and its values.
    struct Blob {
        var shape: [Int]
        var values: [Float]

        init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }

        init(_ proto: Caffe_BlobProto) {
            shape = proto.hasShape ? proto.shape.dim.map { Int($0) } : [proto.num, proto.channels, proto.height, proto.width].map { Int($0) }
            values = proto.data.isEmpty ? proto.doubleData.map { Float($0) } : proto.data
        }
    }

    private static func hdf5Blobs(_ root: Group, layer: String, path: String) throws -> [Blob] {
        let group = "data/\(layer)"
        guard root.contains(group) else { return [] }
        var blobs: [Blob] = []
        while root.contains("\(group)/\(blobs.count)") {
            let dataset = try root.dataset("\(group)/\(blobs.count)")
            blobs.append(Blob(shape: try dataset.shape, values: try dataset.read(as: Float.self, converting: true)))
        }
        return blobs
    }
}
