import CaffeProto
import Foundation

/// How a Caffe network's pixels are prepared, and a prototxt read as a model with its weights
/// beside it. Caffe models take BGR pixels in 0–255 less a mean, which the prototxt does not
/// record: a converted model declares it (`lesion convert --mean`), a directly read one says in
/// `lesion info` that it was not declared.
extension CaffeModel {
    /// The preprocessing of a prototxt read directly: BGR pixels as they are, marked undeclared.
    public static let undeclared = Preprocessing(scale: 1, mean: [], std: [], channelOrder: .BGR,
                                                 preset: "not declared (lesion convert --mean declares it)")

    /// Reads `prototxt` with the weights found beside it (`weightsBeside`).
    public static func read(prototxt: String) throws -> (architecture: Architecture, weights: Weights) {
        var (architecture, weights) = try read(prototxt: prototxt, weights: try weightsBeside(prototxt))
        architecture.preprocessing = undeclared
        return (architecture, weights)
    }

    /// The weights of `prototxt`: NAME.caffemodel.h5 or NAME.caffemodel beside it, also with
    /// "deploy" read as "model" (MSRA's ResNet-50-deploy.prototxt ships ResNet-50-model.caffemodel).
    public static func weightsBeside(_ prototxt: String) throws -> String {
        let url = URL(fileURLWithPath: prototxt)
        let stem = url.deletingPathExtension().lastPathComponent
        let stems = [stem] + (stem.contains("deploy") ? [stem.replacingOccurrences(of: "deploy", with: "model")] : [])
        let candidates = stems.flatMap { [$0 + ".caffemodel.h5", $0 + ".caffemodel"] }
            .map { url.deletingLastPathComponent().appendingPathComponent($0).path }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw NetsError("\(prototxt): a Caffe definition needs its weights, and none of "
                            + candidates.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")
                            + " is beside it; name them with `lesion convert \(prototxt) --weights FILE -o model.h5`")
        }
        return found
    }

    /// Whether `path` names a Caffe network definition.
    public static func isPrototxt(_ path: String) -> Bool {
        path.hasSuffix(".prototxt") || path.hasSuffix(".pbtxt")
    }

    /// A mean image from Caffe's mean.binaryproto (one BlobProto, C×H×W in the network's channel
    /// order), center-cropped to the input as Caffe's test-phase crop takes it. Also says what it
    /// did, for the user.
    public static func meanImage(_ path: String, input: InputShape) throws -> (values: [Float], note: String) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NetsError("\(path): cannot read the mean file (\(error.localizedDescription))")
        }
        let proto: Caffe_BlobProto
        do {
            proto = try Caffe_BlobProto(serializedBytes: data)
        } catch {
            throw NetsError("\(path): not a Caffe mean.binaryproto (a serialized BlobProto): \(error)")
        }
        let blob = Blob(proto)
        let shape = Array(blob.shape.drop { $0 == 1 && blob.shape.count > 3 })
        guard shape.count == 3, shape[0] == input.channels, blob.values.count == shape.reduce(1, *) else {
            throw NetsError("\(path): the mean blob is \(blob.shape) with \(blob.values.count) values; expected "
                            + "[1, \(input.channels), H, W] for the network's \(input.channels) channels")
        }
        let (height, width) = (shape[1], shape[2])
        guard height >= input.height, width >= input.width else {
            throw NetsError("\(path): the mean image is \(height)x\(width), smaller than the network's "
                            + "\(input.height)x\(input.width) input")
        }
        guard blob.values.allSatisfy(\.isFinite) else { throw NetsError("\(path): the mean image holds a NaN or infinity") }
        let top = (height - input.height) / 2, left = (width - input.width) / 2
        var values: [Float] = []
        values.reserveCapacity(input.channels * input.height * input.width)
        for c in 0..<input.channels {
            for y in 0..<input.height {
                let row = (c * height + top + y) * width + left
                values.append(contentsOf: blob.values[row..<(row + input.width)])
            }
        }
        let note = height == input.height && width == input.width ? "mean image \(height)x\(width)"
            : "mean image \(height)x\(width), its centre \(input.height)x\(input.width) taken as Caffe's test-phase crop does"
        return (values, note)
    }
}
