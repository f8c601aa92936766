import Foundation
import XCTest
@testable import Nets

/// Caffe network definitions as users bring them: He et al.'s original deploy file, the old V1
/// format, train/test phase rules, and files that are not what they claim.
final class CaffeNetTests: XCTestCase {
    let deploy = fixture("caffe/ResNet-50-deploy.prototxt")

    func testTheOriginalResNet50DeployFileParses() throws {
        let net = try CaffeNet.readPrototxt(deploy)
        XCTAssertEqual(net.name, "ResNet-50")
        XCTAssertEqual(net.input?.name, "data")
        XCTAssertEqual(net.input?.shape, [1, 3, 224, 224], "the legacy input_dim header")
        XCTAssertEqual(net.layers.count, 228)
        let counts = Dictionary(grouping: net.layers, by: \.type).mapValues(\.count)
        XCTAssertEqual(counts, ["Convolution": 53, "BatchNorm": 53, "Scale": 53, "ReLU": 49, "Eltwise": 16,
                                "Pooling": 2, "InnerProduct": 1, "Softmax": 1])
        // Every residual add is an element-wise sum of two blobs.
        for add in net.layers where add.type == "Eltwise" {
            XCTAssertEqual(add.bottoms.count, 2, add.name)
            XCTAssertEqual(add.parameters.eltwiseParam.operation, .sum, add.name)
        }
        let projections = net.layers.filter { $0.name.hasSuffix("_branch1") && $0.type == "Convolution" }.map(\.name)
        XCTAssertEqual(projections, ["res2a_branch1", "res3a_branch1", "res4a_branch1", "res5a_branch1"])
        let conv1 = try XCTUnwrap(net.layers.first)
        XCTAssertEqual(conv1.parameters.convolutionParam.kernelSize, [7])
        XCTAssertEqual(conv1.parameters.convolutionParam.stride, [2])
        XCTAssertEqual(conv1.parameters.convolutionParam.pad, [3])
        XCTAssertTrue(conv1.parameters.convolutionParam.biasTerm, "bias_term defaults to true")
        let pool5 = try XCTUnwrap(net.layers.first { $0.name == "pool5" })
        XCTAssertEqual(pool5.parameters.poolingParam.pool, .ave)
        XCTAssertTrue(net.layers.first { $0.name == "bn_conv1" }!.parameters.batchNormParam.useGlobalStats)
    }

    /// The acceptance of issue 15: 16 bottleneck blocks, projection shortcuts at res2a, res3a,
    /// res4a and res5a, the stem's max pooling rounded up as Caffe does (112 → 56).
    func testTheResNet50DeployFileBuildsSixteenBottleneckBlocks() throws {
        let architecture = try CaffeNet.readPrototxt(deploy).architecture()
        XCTAssertEqual(architecture.blocks.count, 16)
        XCTAssertEqual(architecture.blocks.map(\.name), ["res2a", "res2b", "res2c", "res3a", "res3b", "res3c", "res3d", "res4a", "res4b",
                                                       "res4c", "res4d", "res4e", "res4f", "res5a", "res5b", "res5c"])
        XCTAssertTrue(architecture.blocks.allSatisfy { $0.form == "bottleneck" && $0.kind == .residual && $0.mergeReLU })
        XCTAssertEqual(architecture.blocks.filter { $0.shortcut.kind == .projection }.map(\.name), ["res2a", "res3a", "res4a", "res5a"])
        XCTAssertEqual(architecture.blocks.first { $0.name == "res3a" }?.shortcut.layers?.first?.stride, 2)
        XCTAssertEqual(architecture.stem.map(\.op), [.conv, .batchnorm, .relu, .maxpool])
        XCTAssertEqual(architecture.stem.last?.ceilMode, true)
        XCTAssertEqual(architecture.head.map(\.op), [.globalAvgPool, .linear])
        XCTAssertEqual(architecture.classes, 1000)
        XCTAssertEqual(architecture.input, InputShape(channels: 3, height: 224, width: 224))
    }

    func testOldV1LayersAndPhaseRulesAreRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-caffe-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("old.prototxt").path
        try """
            name: "old"  # a comment
            layers { name: "data" type: DATA top: "data" include { phase: TRAIN } data_param { source: "train_lmdb" } }
            layers { name: "data" type: DATA top: "data" include { phase: TEST } }
            layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
                     blobs_lr: 1 convolution_param { num_output: 16 kernel_size: 3 pad: 1 } }
            layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" }
            layers { name: "loss" type: SOFTMAX_LOSS bottom: "conv1" top: "loss" exclude { phase: TEST } }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let net = try CaffeNet.readPrototxt(path)
        XCTAssertEqual(net.layers.map(\.name), ["data", "conv1", "relu1"], "the TRAIN data layer and the excluded loss are not run")
        XCTAssertEqual(net.layers.map(\.type), ["Data", "Convolution", "ReLU"])
        XCTAssertEqual(net.layers[1].parameters.convolutionParam.numOutput, 16)
    }

    func testNotAPrototxtNamesTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-caffe-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("broken.prototxt").path
        try "layer { name: \"conv1\" type: \"Convolution\" convolution_param { num_output: 16 ".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CaffeNet.readPrototxt(path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path): not a Caffe prototxt"), "\(error)")
        }
        let truncated = folder.appendingPathComponent("truncated.caffemodel").path
        try Data([0xa2, 0x06, 0x40, 0x0a]).write(to: URL(fileURLWithPath: truncated))   // a layer field of 64 bytes, cut off
        XCTAssertThrowsError(try CaffeNet.readBinary(truncated)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(truncated): not a Caffe .caffemodel"), "\(error)")
        }
    }
}
