import CaffeProto
import Foundation
import HDF5
import XCTest
@testable import Nets

/// Caffe weights in both forms Caffe writes them: the binary .caffemodel and the solver's HDF5
/// snapshot. Synthetic blobs of the shapes each layer needs; the PyTorch oracle of the numbers
/// themselves is the fixture script's (issue 15).
final class CaffeModelTests: XCTestCase {
    private let folder = Folder()

    private func path(_ name: String) -> String { folder.path(name) }

    /// A small residual network in the layout of the common Caffe CIFAR prototxts: BatchNorm +
    /// Scale, in-place ReLUs, Eltwise SUM, a projection shortcut where the shape changes.
    private let cifar = """
        name: "tiny"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 pad: 1 bias_term: false } }
        layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" batch_norm_param { use_global_stats: true } }
        layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
        layer { name: "b1_conv1" type: "Convolution" bottom: "conv1" top: "b1_conv1" convolution_param { num_output: 8 kernel_size: 3 pad: 1 stride: 2 bias_term: false } }
        layer { name: "b1_bn1" type: "BatchNorm" bottom: "b1_conv1" top: "b1_conv1" }
        layer { name: "b1_scale1" type: "Scale" bottom: "b1_conv1" top: "b1_conv1" scale_param { bias_term: true } }
        layer { name: "b1_relu1" type: "ReLU" bottom: "b1_conv1" top: "b1_conv1" }
        layer { name: "b1_conv2" type: "Convolution" bottom: "b1_conv1" top: "b1_conv2" convolution_param { num_output: 8 kernel_size: 3 pad: 1 bias_term: false } }
        layer { name: "b1_bn2" type: "BatchNorm" bottom: "b1_conv2" top: "b1_conv2" }
        layer { name: "b1_scale2" type: "Scale" bottom: "b1_conv2" top: "b1_conv2" scale_param { bias_term: true } }
        layer { name: "b1_proj" type: "Convolution" bottom: "conv1" top: "b1_proj" convolution_param { num_output: 8 kernel_size: 1 stride: 2 bias_term: false } }
        layer { name: "b1_proj_bn" type: "BatchNorm" bottom: "b1_proj" top: "b1_proj" }
        layer { name: "b1_proj_scale" type: "Scale" bottom: "b1_proj" top: "b1_proj" scale_param { bias_term: true } }
        layer { name: "b1" type: "Eltwise" bottom: "b1_conv2" bottom: "b1_proj" top: "b1" eltwise_param { operation: SUM } }
        layer { name: "b1_relu" type: "ReLU" bottom: "b1" top: "b1" }
        layer { name: "pool" type: "Pooling" bottom: "b1" top: "pool" pooling_param { pool: AVE global_pooling: true } }
        layer { name: "fc" type: "InnerProduct" bottom: "pool" top: "fc" inner_product_param { num_output: 5 } }
        layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
        """

    /// Blobs for every layer that reads weights, as Caffe stores them; batch norms with a scale
    /// factor `factor` (their mean and variance stored multiplied by it).
    private func blobs(_ prototxt: String, factor: Float = 1) throws -> [String: [(shape: [Int], values: [Float])]] {
        var converter = CaffeConverter(try CaffeNet.readPrototxt(prototxt))
        _ = try converter.architecture()
        var state: UInt64 = 7
        func values(_ count: Int, _ low: Float, _ high: Float) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return low + (high - low) * Float(state >> 40) / Float(1 << 24)
            }
        }
        var result: [String: [(shape: [Int], values: [Float])]] = [:]
        for (layer, kind) in converter.parameterized {
            switch kind {
            case .conv(let out, let inPerGroup, let kernel, let bias):
                let fan = Float(inPerGroup * kernel * kernel)
                result[layer] = [([out, inPerGroup, kernel, kernel], values(out * inPerGroup * kernel * kernel, -1 / fan.squareRoot(), 1 / fan.squareRoot()))]
                    + (bias ? [([out], values(out, -0.1, 0.1))] : [])
            case .linear(let out, let input, let bias):
                result[layer] = [([out, input], values(out * input, -0.3, 0.3))] + (bias ? [([out], values(out, -0.1, 0.1))] : [])
            case .batchnorm(let c):
                result[layer] = [([c], values(c, -0.2, 0.2).map { $0 * factor }), ([c], values(c, 0.5, 1.5).map { $0 * factor }), ([1], [factor])]
                if let scale = converter.scaleOf[layer] { result[scale] = [([c], values(c, 0.8, 1.2)), ([c], values(c, -0.1, 0.1))] }
            }
        }
        return result
    }

    private func writeHDF5(_ blobs: [String: [(shape: [Int], values: [Float])]], to file: String) throws {
        let root = try File.create(file).root
        for (layer, list) in blobs {
            for (i, blob) in list.enumerated() { try root.createDataset("data/\(layer)/\(i)", shape: blob.shape, values: blob.values) }
        }
    }

    private func writeBinary(_ blobs: [String: [(shape: [Int], values: [Float])]], to file: String, legacyShapes: Bool = false) throws {
        var net = Caffe_NetParameter()
        net.layer = blobs.keys.sorted().map { name in
            var layer = Caffe_LayerParameter()
            layer.name = name
            layer.blobs = blobs[name]!.map { blob in
                var proto = Caffe_BlobProto()
                if legacyShapes {   // the 4-D num/channels/height/width of old snapshots
                    let padded = [Int](repeating: 1, count: max(4 - blob.shape.count, 0)) + blob.shape
                    (proto.num, proto.channels, proto.height, proto.width) = (Int64(padded[0]), Int64(padded[1]), Int64(padded[2]), Int64(padded[3]))
                } else {
                    proto.shape.dim = blob.shape.map { Int64($0) }
                }
                proto.data = blob.values
                return proto
            }
            return layer
        }
        try net.serializedData().write(to: URL(fileURLWithPath: file))
    }

    private func logits(_ prototxt: String, _ weights: String) throws -> [Float] {
        let (architecture, loaded) = try CaffeModel.read(prototxt: prototxt, weights: weights)
        let network = try Network(architecture, weights: loaded)
        let input = architecture.input
        let count = 2 * input.height * input.width * input.channels
        let x = Tensor(shape: [2, input.height, input.width, input.channels], values: (0..<count).map { Float(($0 * 37) % 101) / 50 - 1 })
        return try network.forward(x).values
    }

    func testTheBinaryAndTheHDF5SnapshotGiveTheSameNetwork() throws {
        let prototxt = path("tiny.prototxt")
        try cifar.write(toFile: prototxt, atomically: true, encoding: .utf8)
        let stored = try blobs(prototxt)
        try writeHDF5(stored, to: path("tiny.caffemodel.h5"))
        try writeBinary(stored, to: path("tiny.caffemodel"))
        try writeBinary(stored, to: path("legacy.caffemodel"), legacyShapes: true)
        let fromHDF5 = try logits(prototxt, path("tiny.caffemodel.h5"))
        XCTAssertEqual(fromHDF5.count, 10)
        XCTAssertEqual(try logits(prototxt, path("tiny.caffemodel")), fromHDF5)
        XCTAssertEqual(try logits(prototxt, path("legacy.caffemodel")), fromHDF5)
        // The batch norms' statistics are divided by Caffe's scale factor (here 4): the same network.
        let scaled = try blobs(prototxt, factor: 4)
        try writeHDF5(scaled, to: path("scaled.caffemodel.h5"))
        let fromScaled = try logits(prototxt, path("scaled.caffemodel.h5"))
        for (a, b) in zip(fromScaled, fromHDF5) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
        let architecture = try CaffeNet.readPrototxt(prototxt).architecture()
        XCTAssertEqual(architecture.blocks.count, 1)
        XCTAssertEqual(architecture.blocks[0].shortcut.kind, .projection)
    }

    /// A CIFAR ResNet-20 in the common Caffe layout (option-B projections, BatchNorm + Scale with
    /// a scale factor of 2.5) against PyTorch running the same weights
    /// (notebooks-export/make_caffe_fixtures.py), from both weight files.
    func testACaffeCifarResNet20MatchesPyTorch() throws {
        let prototxt = netsFixture("caffe/cifar20.prototxt")
        let expected = try File.open(netsFixture("caffe/cifar20.expected.h5")).root
        let input = try expected.dataset("input")
        let x = nhwc(try input.read(as: Float.self), shape: try input.shape)
        let want = try expected.dataset("logits").read(as: Float.self)
        for weights in ["caffe/cifar20.caffemodel.h5", "caffe/cifar20.caffemodel"] {
            let (architecture, loaded) = try CaffeModel.read(prototxt: prototxt, weights: netsFixture(weights))
            XCTAssertEqual(architecture.blocks.count, 9)
            XCTAssertEqual(architecture.blocks.filter { $0.shortcut.kind == .projection }.map(\.name), ["res3a", "res4a"])
            XCTAssertTrue(architecture.blocks.allSatisfy(\.mergeReLU))
            let network = try Network(architecture, weights: loaded)
            assertClose(try network.forward(x).values, want, "\(weights) logits")
        }
    }

    func testHeEtAlsResNet50RunsOnFixtureWeights() throws {
        let prototxt = netsFixture("caffe/ResNet-50-deploy.prototxt")
        try writeHDF5(try blobs(prototxt), to: path("resnet50.caffemodel.h5"))
        let (architecture, weights) = try CaffeModel.read(prototxt: prototxt, weights: path("resnet50.caffemodel.h5"))
        let network = try Network(architecture, weights: weights)
        // torchvision's ResNet-50 has 25,557,032; MSRA's conv1 also has a bias (bias_term defaults to true): 64 more.
        XCTAssertEqual(network.parameterCount, 25_557_096, "ResNet-50's parameters, batch-norm statistics aside")
        let x = Tensor(shape: [1, 224, 224, 3], values: (0..<(224 * 224 * 3)).map { Float(($0 * 37) % 101) / 50 - 1 })
        let logits = try network.forward(x)
        XCTAssertEqual(logits.shape, [1, 1000])
        XCTAssertTrue(logits.values.allSatisfy(\.isFinite))
    }

    /// Eltwise coefficients are folded into the layer that makes each input: a sum with
    /// coefficients (2, 1) is the plain sum with the branch's last Scale doubled.
    func testEltwiseCoefficientsScaleTheLayerBeforeTheSum() throws {
        let plain = path("tiny.prototxt"), weighted = path("weighted.prototxt")
        try cifar.write(toFile: plain, atomically: true, encoding: .utf8)
        try cifar.replacingOccurrences(of: "operation: SUM", with: "operation: SUM coeff: 2 coeff: 1")
            .write(toFile: weighted, atomically: true, encoding: .utf8)
        var stored = try blobs(plain)
        try writeHDF5(stored, to: path("weighted.caffemodel.h5"))
        stored["b1_scale2"] = stored["b1_scale2"]!.map { ($0.shape, $0.values.map { $0 * 2 }) }
        try writeHDF5(stored, to: path("doubled.caffemodel.h5"))
        let want = try logits(plain, path("doubled.caffemodel.h5"))
        let got = try logits(weighted, path("weighted.caffemodel.h5"))
        for (a, b) in zip(got, want) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
        XCTAssertNotEqual(got, try logits(plain, path("weighted.caffemodel.h5")), "the coefficient changes the network")

        // A coefficient on a blob that something else also reads cannot be folded.
        let shared = cifar.replacingOccurrences(of: "operation: SUM", with: "operation: SUM coeff: 1 coeff: 0.5")
            .replacingOccurrences(of: "layer { name: \"pool\"", with: """
                layer { name: "tap" type: "ReLU" bottom: "b1_proj" top: "tap" }
                layer { name: "pool"
                """)
        try shared.write(toFile: weighted, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CaffeNet.readPrototxt(weighted).architecture()) { error in
            XCTAssertTrue("\(error)".contains("layer 'b1' (Eltwise): coefficient 0.5 on 'b1_proj' is supported only when"), "\(error)")
        }
    }

    /// Caffe's mean.binaryproto, larger than the input: its centre is taken, channel by channel.
    func testAMeanBinaryprotoIsCentreCropped() throws {
        var proto = Caffe_BlobProto()
        (proto.num, proto.channels, proto.height, proto.width) = (1, 3, 10, 12)
        proto.data = (0..<360).map(Float.init)
        try proto.serializedData().write(to: URL(fileURLWithPath: path("mean.binaryproto")))
        let (values, note) = try CaffeModel.meanImage(path("mean.binaryproto"), input: InputShape(channels: 3, height: 8, width: 8))
        XCTAssertEqual(values.count, 192)
        XCTAssertEqual(values[0], 1 * 12 + 2, "row 1, column 2 of channel 0")
        XCTAssertEqual(values[8], 2 * 12 + 2)
        XCTAssertEqual(values[64], 120 + 1 * 12 + 2, "channel 1")
        XCTAssertTrue(note.contains("10x12, its centre 8x8"), note)
        XCTAssertThrowsError(try CaffeModel.meanImage(path("mean.binaryproto"), input: InputShape(channels: 3, height: 16, width: 8))) {
            XCTAssertTrue("\($0)".contains("mean.binaryproto: the mean image is 10x12, smaller than the network's 16x8 input"), "\($0)")
        }
        XCTAssertThrowsError(try CaffeModel.meanImage(path("mean.binaryproto"), input: InputShape(channels: 1, height: 8, width: 8))) {
            XCTAssertTrue("\($0)".contains("expected [1, 1, H, W]"), "\($0)")
        }
        try Data([0x0A, 0x05, 0x01]).write(to: URL(fileURLWithPath: path("cut.binaryproto")))
        XCTAssertThrowsError(try CaffeModel.meanImage(path("cut.binaryproto"), input: InputShape(channels: 3, height: 8, width: 8))) {
            XCTAssertTrue("\($0)".contains("cut.binaryproto: not a Caffe mean.binaryproto"), "\($0)")
        }
    }

    /// A prototxt read as a model finds its weights beside it, MSRA's naming included, and says
    /// that nobody declared its preprocessing.
    func testAPrototxtReadsTheWeightsBesideIt() throws {
        let prototxt = path("tiny-deploy.prototxt")
        try cifar.write(toFile: prototxt, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelFile.read(prototxt)) { error in
            XCTAssertTrue("\(error)".contains("tiny-deploy.prototxt: a Caffe definition needs its weights, and none of "
                                             + "tiny-deploy.caffemodel.h5, tiny-deploy.caffemodel, tiny-model.caffemodel.h5, "
                                             + "tiny-model.caffemodel is beside it"), "\(error)")
        }
        try writeBinary(try blobs(prototxt), to: path("tiny-model.caffemodel"))
        let (architecture, weights) = try ModelFile.read(prototxt)
        XCTAssertEqual(weights.source, path("tiny-model.caffemodel"))
        XCTAssertEqual(architecture.preprocessing.channelOrder, .BGR)
        XCTAssertTrue(architecture.preprocessing.summary.hasPrefix("not declared"), architecture.preprocessing.summary)
    }

    func testBadWeightsAndLayersAreNamed() throws {
        let prototxt = path("tiny.prototxt")
        try cifar.write(toFile: prototxt, atomically: true, encoding: .utf8)
        var stored = try blobs(prototxt)
        stored["b1_conv2"] = [([8, 8, 3, 2], [Float](repeating: 0, count: 384))]
        try writeHDF5(stored, to: path("misfit.caffemodel.h5"))
        XCTAssertThrowsError(try CaffeModel.read(prototxt: prototxt, weights: path("misfit.caffemodel.h5"))) { error in
            XCTAssertTrue("\(error)".contains("misfit.caffemodel.h5: layer 'b1_conv2' blob 0 is [8, 8, 3, 2] (384 values), expected [8, 8, 3, 3]"), "\(error)")
        }
        let cases: [(String, String)] = [
            (cifar.replacingOccurrences(of: "operation: SUM", with: "operation: PROD"),
             "layer 'b1' (Eltwise): operation PROD is not a residual add; only SUM is supported"),
            (cifar.replacingOccurrences(of: "type: \"ReLU\" bottom: \"conv1\"", with: "type: \"PReLU\" bottom: \"conv1\""),
             "layer 'relu1' (PReLU): this layer type cannot be mapped"),
        ]
        for (text, message) in cases {
            let file = path("bad.prototxt")
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try CaffeNet.readPrototxt(file).architecture()) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
            }
        }
    }
}

private func netsFixture(_ name: String) -> String { fixture(name) }
