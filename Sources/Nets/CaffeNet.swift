import CaffeProto
import Foundation
import SwiftProtobuf

/// A Caffe network definition as Unravel reads it: the input shape and the layers that run at
/// test time, in order, whichever of Caffe's two layer formats (`layer`, or the pre-2015 V1
/// `layers`) the file uses. Decoding is swift-protobuf's, on Caffe's own field names and numbers
/// (Sources/CaffeProto/caffe_subset.proto).
public struct CaffeNet {
    /// One layer: its name and type as Caffe spells them ("Convolution", "Eltwise"), the blobs it
    /// reads and writes, and its parameters.
    public struct Layer {
        public var name: String
        public var type: String
        public var bottoms: [String]
        public var tops: [String]
        /// The full record (parameters, and blobs when read from a .caffemodel).
        public var parameters: Caffe_LayerParameter
    }

    public var name: String
    /// The input blob's name and shape (N, C, H, W), when the file declares one.
    public var input: (name: String, shape: [Int])?
    public var layers: [Layer]
    /// Where it came from, for messages.
    public var source: String

    /// Reads a prototxt (text format). Fields Caffe has and Unravel does not read (learning
    /// rates, fillers, data sources) are skipped.
    public static func readPrototxt(_ path: String) throws -> CaffeNet {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NetsError("\(path): cannot read the prototxt (\(error.localizedDescription))")
        }
        var options = TextFormatDecodingOptions()
        options.ignoreUnknownFields = true
        let net: Caffe_NetParameter
        do {
            net = try Caffe_NetParameter(textFormatString: text, options: options)
        } catch {
            throw NetsError("\(path): not a Caffe prototxt: \(error)")
        }
        return try CaffeNet(net, source: path)
    }

    /// Reads a binary .caffemodel (a NetParameter with the weights as layer blobs).
    public static func readBinary(_ path: String) throws -> CaffeNet {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NetsError("\(path): cannot read the .caffemodel (\(error.localizedDescription))")
        }
        let net: Caffe_NetParameter
        do {
            net = try Caffe_NetParameter(serializedBytes: data)
        } catch {
            throw NetsError("\(path): not a Caffe .caffemodel (truncated or another format): \(error)")
        }
        return try CaffeNet(net, source: path)
    }

    public init(_ net: Caffe_NetParameter, source: String) throws {
        self.source = source
        name = net.name
        if let first = net.input.first {
            if let shape = net.inputShape.first {
                input = (first, shape.dim.map { Int($0) })
            } else if net.inputDim.count >= 4 {
                input = (first, net.inputDim.prefix(4).map { Int($0) })
            } else {
                throw NetsError("\(source): input '\(first)' has no shape (input_shape, or four input_dim values)")
            }
        }
        guard net.layer.isEmpty || net.layers.isEmpty else {
            throw NetsError("\(source): the file mixes 'layer' and the old 'layers' format; Caffe reads only one")
        }
        layers = try net.layer.filter(CaffeNet.runsAtTest).map { layer in
            Layer(name: layer.name, type: layer.type, bottoms: layer.bottom, tops: layer.top, parameters: layer)
        } + net.layers.filter(CaffeNet.runsAtTest).map { try CaffeNet.upgraded($0, source: source) }
        if input == nil, let declared = layers.first(where: { $0.type == "Input" }) {
            guard let shape = declared.parameters.inputParam.shape.first, let top = declared.tops.first else {
                throw NetsError("\(source): Input layer '\(declared.name)' declares no shape")
            }
            input = (top, shape.dim.map { Int($0) })
        }
    }

    /// Whether a layer is part of the test-phase net (deploy files have no rules at all).
    private static func runsAtTest(_ layer: Caffe_LayerParameter) -> Bool {
        runsAtTest(include: layer.include, exclude: layer.exclude, phase: layer.hasPhase ? layer.phase : nil)
    }

    private static func runsAtTest(_ layer: Caffe_V1LayerParameter) -> Bool {
        runsAtTest(include: layer.include, exclude: layer.exclude, phase: nil)
    }

    private static func runsAtTest(include: [Caffe_NetStateRule], exclude: [Caffe_NetStateRule], phase: Caffe_Phase?) -> Bool {
        if let phase, phase != .test { return false }
        if !include.isEmpty { return include.contains { !$0.hasPhase || $0.phase == .test } }
        return !exclude.contains { !$0.hasPhase || $0.phase == .test }
    }

    /// A V1 layer as the current format spells it (Caffe's own upgrade, for the types read here).
    private static func upgraded(_ old: Caffe_V1LayerParameter, source: String) throws -> Layer {
        var layer = Caffe_LayerParameter()
        layer.name = old.name
        layer.bottom = old.bottom
        layer.top = old.top
        layer.blobs = old.blobs
        let names: [Caffe_V1LayerParameter.LayerType: String] = [
            .convolution: "Convolution", .eltwise: "Eltwise", .innerProduct: "InnerProduct", .pooling: "Pooling",
            .relu: "ReLU", .softmax: "Softmax", .dropout: "Dropout", .data: "Data", .softmaxLoss: "SoftmaxWithLoss",
            .accuracy: "Accuracy", .flatten: "Flatten", .concat: "Concat", .lrn: "LRN", .sigmoid: "Sigmoid", .tanh: "TanH",
        ]
        layer.type = names[old.type] ?? "V1:\(old.type)"
        if old.hasConvolutionParam { layer.convolutionParam = old.convolutionParam }
        if old.hasEltwiseParam { layer.eltwiseParam = old.eltwiseParam }
        if old.hasInnerProductParam { layer.innerProductParam = old.innerProductParam }
        if old.hasPoolingParam { layer.poolingParam = old.poolingParam }
        if old.hasReluParam { layer.reluParam = old.reluParam }
        if old.hasDropoutParam { layer.dropoutParam = old.dropoutParam }
        return Layer(name: old.name, type: layer.type, bottoms: old.bottom, tops: old.top, parameters: layer)
    }
}
