import HDF5
import XCTest
@testable import Nets

/// Lesions, routes, orders, hook points and cached starts, on the PyTorch fixtures.
final class NetworkTests: XCTestCase {
    private func load(_ name: String) throws -> (Network, Tensor, [Int], Group) {
        let network = try ModelFile.load(fixture("\(name).model.h5"))
        let expected = try File.open(fixture("\(name).expected.h5")).root
        let data = try expected.dataset("input")
        let labels = try expected.dataset("labels").read(as: Int64.self).map { Int($0) }
        return (network, nhwc(try data.read(as: Float.self), shape: try data.shape), labels, expected)
    }

    /// A classifier written as a 1x1 convolution on the pooled map (timm's ResNetV2) is the linear
    /// layer it equals: checked against the mean and dot product written out; any other
    /// convolution on pooled features is refused with the layer named.
    func testAOneByOneConvolutionOnPooledFeaturesIsALinearClassifier() throws {
        let (channels, classes) = (3, 2)
        var weights = Weights(source: "test weights")
        let w: [Float] = [0.5, -1, 2, 0.25, 1.5, -0.75], b: [Float] = [0.1, -0.2]
        weights.entries["fc.weight"] = Weights.Entry(shape: [classes, channels, 1, 1], values: w)
        weights.entries["fc.bias"] = Weights.Entry(shape: [classes], values: b)
        func architecture(kernel: Int) -> Architecture {
            Architecture(name: "pooled conv", input: InputShape(channels: channels, height: 2, width: 2), stem: [], blocks: [],
                         head: [.globalAvgPool, .conv("fc", out: classes, kernel: kernel, bias: true), Layer(op: .flatten)],
                         classes: classes)
        }
        let network = try Network(architecture(kernel: 1), weights: weights)
        let pixels: [Float] = (0..<(2 * 2 * channels)).map { Float($0) * 0.5 - 1 }   // NHWC, one image
        let logits = try network.forward(Tensor(shape: [1, 2, 2, channels], values: pixels)).values
        let mean = (0..<channels).map { c in (0..<4).map { pixels[$0 * channels + c] }.reduce(0, +) / 4 }
        for k in 0..<classes {
            let want = (0..<channels).map { w[k * channels + $0] * mean[$0] }.reduce(b[k], +)
            XCTAssertEqual(logits[k], want, accuracy: 1e-6)
        }
        XCTAssertThrowsError(try Network(architecture(kernel: 3), weights: weights)) { error in
            XCTAssertTrue("\(error)".contains("head layer 1 (conv 'fc'): a convolution on pooled features must be 1x1, ungrouped and unpadded"),
                          "«\(error)»")
        }
    }

    /// Group norms keep no statistics: a network without a batch norm has nothing to re-estimate,
    /// and says so instead of running a recalibration that changes nothing.
    func testRecalibrationRefusesANetworkWithoutBatchNorm() throws {
        let groupNormed = try ModelFile.load(fixture("timm_bit.model.h5"))
        XCTAssertThrowsError(try groupNormed.checkRecalibratable()) { error in
            XCTAssertTrue("\(error)".contains("timm_bit.model.h5: it has no batch norm (a group norm keeps no statistics)"), "«\(error)»")
            XCTAssertEqual((error as? NetsError)?.kind, .badInput)
        }
        for name in ["resnet20_a", "preact8_b", "timm_seresnet18", "timm_resnetv2_50d", "highway"] {
            XCTAssertNoThrow(try ModelFile.load(fixture("\(name).model.h5")).checkRecalibratable(), name)
        }
    }

    func testReorderedBlocksMatchPyTorch() throws {
        for name in ["resnet20_a", "preact20_a"] {
            let (network, input, _, expected) = try load(name)
            let key = try expected.members().map(\.name).first { $0.hasPrefix("reordered_") }!
            let order = key.dropFirst("reordered_".count).split(separator: "_").map { Int($0)! }
            let logits = try network.forward(input, options: RunOptions(order: order))
            assertClose(logits.values, try expected.dataset(key).read(as: Float.self), "\(name) order \(order)")
        }
    }

    func testRunningABlockInTheWrongPlaceIsAClearError() throws {
        let (network, input, _, _) = try load("resnet20_a")
        XCTAssertThrowsError(try network.forward(input, options: RunOptions(order: [0, 1, 3, 2, 4, 5, 6, 7, 8]))) { error in
            XCTAssertTrue("\(error)".contains("block 2 ('layer1.2') expects input [N, 32, 32, 16]"), "\(error)")
        }
        XCTAssertThrowsError(try network.forward(input, options: RunOptions(dropped: [9])))
    }

    /// Backward along the branch only plus along the shortcut only is the whole gradient, for
    /// every block of every kind (the merge is linear once the forward pass fixed the ReLU masks).
    func testBranchAndShortcutRoutesAddUpToTheFullGradient() throws {
        for name in ["resnet20_a", "resnet20_b", "preact8_b", "highway", "bottleneck_small"] {
            let (network, input, labels, _) = try load(name)
            let record = try network.record(input)
            let seed = try Loss.logitGradient(record.logits, target: .crossEntropy(labels: labels))
            let full = try network.backward(record, logitGradient: seed).values
            for block in 0..<network.blockCount where network.architecture.blocks[block].kind != .plain {
                let branch = try network.backward(record, logitGradient: seed, routes: [block: .branch]).values
                let skip = try network.backward(record, logitGradient: seed, routes: [block: .shortcut]).values
                assertClose(zip(branch, skip).map { $0 + $1 }, full, tolerance: 1e-5, "\(name) block \(block)")
            }
        }
    }

    func testAShortcutOnlyRouteThroughAPlainBlockCarriesNoGradient() throws {
        let (network, input, labels, _) = try load("plain20")
        let gradient = try network.inputGradient(input, target: .crossEntropy(labels: labels), routes: [4: .shortcut]).gradient
        XCTAssertEqual(gradient.values.map { abs($0) }.max(), 0)
    }

    func testPlainDownsamplingBlocksRefuseToBeDropped() throws {
        let (network, input, _, _) = try load("plain20")
        XCTAssertEqual(network.downsamplingBlocks, [3, 6])
        XCTAssertNil(network.dropRefusal(1))
        XCTAssertNotNil(network.dropRefusal(3))
        XCTAssertThrowsError(try network.forward(input, options: RunOptions(dropped: [3]))) { error in
            XCTAssertTrue("\(error)".contains("plain block"), "\(error)")
        }
    }

    func testHookPointsReadEveryActivationAndCanReplaceThem() throws {
        let (network, input, _, _) = try load("resnet20_a")
        var seen: [String] = []
        var hooks = Hooks()
        hooks.add(.stem) { point, _ in seen.append(point.name); return nil }
        for block in 0..<network.blockCount {
            for point in [HookPoint.blockInput(block), .blockBranch(block), .blockOutput(block)] {
                hooks.add(point) { point, _ in seen.append(point.name); return nil }
            }
        }
        hooks.add(.logits) { point, _ in seen.append(point.name); return nil }
        let plain = try network.forward(input)
        let observed = try network.forward(input, options: RunOptions(hooks: hooks))
        assertClose(observed.values, plain.values, tolerance: 1e-6, "reading hooks change nothing")
        XCTAssertEqual(seen.count, 2 + 3 * network.blockCount)
        XCTAssertEqual(seen.prefix(4), ["stem", "blocks.0.input", "blocks.0.branch", "blocks.0.output"])

        // Replacing block 3's branch output with zeros is exactly dropping block 3.
        var zeroing = Hooks()
        zeroing.add(.blockBranch(3)) { _, branch in Tensor(zeros: branch.shape) }
        assertClose(try network.forward(input, options: RunOptions(hooks: zeroing)).values,
                    try network.forward(input, options: RunOptions(dropped: [3])).values, tolerance: 1e-6,
                    "a zeroed branch is a lesion")

        var wrongShape = Hooks()
        wrongShape.add(.blockOutput(0)) { _, _ in Tensor(zeros: [1, 1, 1, 1]) }
        XCTAssertThrowsError(try network.forward(input, options: RunOptions(hooks: wrongShape)))
    }

    func testStartingFromACachedBlockInputGivesTheSameLogits() throws {
        let (network, input, _, _) = try load("preact20_a")
        var cached: [Int: Tensor] = [:]
        var hooks = Hooks()
        for block in [0, 4, 8] {
            hooks.add(.blockInput(block)) { _, tensor in cached[block] = tensor.copy(); return nil }
        }
        let full = try network.forward(input, options: RunOptions(dropped: [6], hooks: hooks))
        for (position, tensor) in cached {
            let resumed = try network.forward(fromPosition: position, blockInput: tensor, options: RunOptions(dropped: [6]))
            assertClose(resumed.values, full.values, tolerance: 1e-6, "resumed at block \(position)")
        }
    }

    func testChosenLogitGradientsAreOneHotSeeds() throws {
        let (network, input, _, _) = try load("resnet8_c")
        let record = try network.record(input)
        let seed = Tensor(zeros: record.logits.shape)
        for b in 0..<4 { seed.pointer[b * 10 + 3] = 1 }
        let viaTarget = try network.inputGradient(input, target: .logits([3, 3, 3, 3])).gradient.values
        assertClose(try network.backward(record, logitGradient: seed).values, viaTarget, tolerance: 1e-6, "logit 3")
    }
}
