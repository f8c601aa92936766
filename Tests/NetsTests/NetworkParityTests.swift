import HDF5
import XCTest
@testable import Nets

/// Whole networks against PyTorch: logits, input gradients of the summed cross-entropy, and
/// logits with blocks removed (replaced by their shortcuts in PyTorch).
final class NetworkParityTests: XCTestCase {
    private func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let network = try ModelFile.load(fixture("\(name).model.h5"))
        let expected = try File.open(fixture("\(name).expected.h5")).root
        let inputData = try expected.dataset("input")
        let input = nhwc(try inputData.read(as: Float.self), shape: try inputData.shape)
        let labels = try expected.dataset("labels").read(as: Int64.self).map { Int($0) }

        let logits = try network.forward(input)
        assertClose(logits.values, try expected.dataset("logits").read(as: Float.self), "\(name) logits", file: file, line: line)

        let (recordedLogits, gradient) = try network.inputGradient(input, target: .crossEntropy(labels: labels))
        assertClose(recordedLogits.values, logits.values, tolerance: 1e-6, "\(name) recorded logits", file: file, line: line)
        assertClose(nchw(gradient), try expected.dataset("input_gradient").read(as: Float.self),
                    "\(name) input gradient", file: file, line: line)

        var lesions = 0
        for (member, _) in try expected.members() where member.hasPrefix("dropped_") {
            let dropped = Set(member.dropFirst("dropped_".count).split(separator: "_").map { Int($0)! })
            let lesioned = try network.forward(input, options: RunOptions(dropped: dropped))
            assertClose(lesioned.values, try expected.dataset(member).read(as: Float.self),
                        "\(name) logits without blocks \(dropped.sorted())", file: file, line: line)
            lesions += 1
        }
        XCTAssertGreaterThan(lesions, 0, "\(name) has lesion fixtures", file: file, line: line)

        // Interventions, against PyTorch with the block replaced by nn.Sequential(block, block)
        // or by the block with its branch scaled.
        let blocks = network.blockCount
        for (member, _) in try expected.members() {
            var parts = member.split(separator: "_")
            let variant: Variant
            if member.hasPrefix("gradient_") {
                parts.removeFirst()
                let block = Int(parts[1])!
                let gradientVariant = Variant.acting(parts[0] == "duplicated" ? .twice : .scaled(Float(parts[2])!), on: block, blocks: blocks)
                let (_, gradient) = try network.inputGradient(input, target: .crossEntropy(labels: labels),
                                                              options: RunOptions(variant: gradientVariant))
                assertClose(nchw(gradient), try expected.dataset(member).read(as: Float.self), "\(name) \(member)", file: file, line: line)
                continue
            } else if member.hasPrefix("recalibrated_") {
                // Drop the block, re-estimate every batch norm after it on other images, evaluate.
                let block = Int(parts[1])!
                let data = try expected.dataset("recalibration_input")
                let recalibration = nhwc(try data.read(as: Float.self), shape: try data.shape)
                let half = recalibration.shape[0] / 2, per = recalibration.count / recalibration.shape[0]
                let halves = [0, half].map { first -> Tensor in
                    let part = Tensor(shape: [half] + Array(recalibration.shape.dropFirst()))
                    part.pointer.update(from: recalibration.pointer + first * per, count: half * per)
                    return part
                }
                let want = try expected.dataset(member).read(as: Float.self)
                for images in [[recalibration], halves] {   // one population, however it is split
                    let (recalibrated, start) = try network.recalibrated(for: .dropping([block], blocks: blocks), on: images)
                    XCTAssertEqual(start, block, file: file, line: line)
                    let got = try recalibrated.forward(input, options: RunOptions(dropped: [block]))
                    assertClose(got.values, want, "\(name) \(member) in \(images.count) parts", file: file, line: line)
                }
                // With batch norms after the block, new statistics change the logits; with none (the last
                // block of a post-activation net), nothing changes.
                let stale = try network.forward(input, options: RunOptions(dropped: [block])).values
                let reestimated = try expected.dataset(member).attribute("batch_norms", as: Int64.self, converting: true)
                if reestimated > 0 {
                    XCTAssertGreaterThan(relativeError(stale, want), 1e-3, "\(name) \(member)", file: file, line: line)
                } else {
                    let (same, _) = try network.recalibrated(for: .dropping([block], blocks: blocks), on: [recalibration])
                    XCTAssertEqual(try same.forward(input, options: RunOptions(dropped: [block])).values, stale, "\(name) \(member)",
                                   file: file, line: line)
                }
                continue
            } else if member.hasPrefix("reinit_weights_") {
                // The redrawn weights, drawn again in Python from the documented rule: bit for bit.
                let block = Int(parts[2])!, seed = UInt64(parts[3])!
                let ours = network.reinitializedWeights(block, seed: seed)
                let group = try expected.group(member)
                let names = try group.members().map(\.0)
                XCTAssertEqual(Set(names), Set(ours.entries.keys), "\(name) \(member)", file: file, line: line)
                for weight in names {
                    XCTAssertEqual(ours.entries[weight]?.values, try group.dataset(weight).read(as: Float.self),
                                   "\(name) \(member)/\(weight)", file: file, line: line)
                }
                continue
            } else if member.hasPrefix("reinit_") || member == "recalibration_input" {
                if member == "recalibration_input" { continue }
                variant = .acting(.reinit(seed: UInt64(parts[2])!), on: Int(parts[1])!, blocks: blocks)
            } else if member.hasPrefix("duplicated_") {
                variant = .acting(.twice, on: Int(parts[1])!, blocks: blocks)
            } else if member.hasPrefix("scaled_") {
                variant = .acting(.scaled(Float(parts[2])!), on: Int(parts[1])!, blocks: blocks)
            } else {
                continue
            }
            assertClose(try network.forward(input, options: RunOptions(variant: variant)).values,
                        try expected.dataset(member).read(as: Float.self), "\(name) \(member)", file: file, line: line)
        }
    }

    func testInterventionFixturesArePresent() throws {
        for name in ["resnet20_a", "preact20_a", "highway", "bottleneck_small"] {
            let members = try File.open(fixture("\(name).expected.h5")).root.members().map(\.0)
            XCTAssertTrue(members.contains { $0.hasPrefix("duplicated_") } && members.contains { $0.hasPrefix("scaled_") }, name)
            if ["resnet20_a", "preact20_a"].contains(name) {
                XCTAssertTrue(members.contains { $0.hasPrefix("gradient_duplicated_") } && members.contains { $0.hasPrefix("gradient_scaled_") }, name)
                XCTAssertTrue(members.contains { $0.hasPrefix("reinit_weights_") } && members.contains { $0.hasPrefix("reinit_") }, name)
                XCTAssertTrue(members.contains { $0.hasPrefix("recalibrated_") }, name)
            }
        }
    }

    func testResNet20OptionA() throws { try check("resnet20_a") }
    func testResNet20OptionAAppended() throws { try check("resnet20_a_append") }
    func testResNet20OptionB() throws { try check("resnet20_b") }
    func testResNet8OptionC() throws { try check("resnet8_c") }
    func testPreActivationResNet20() throws { try check("preact20_a") }
    func testPreActivationResNet8OptionB() throws { try check("preact8_b") }
    func testPlain20() throws { try check("plain20") }
    func testHighway() throws { try check("highway") }
    func testImageNetFormBottleneck() throws { try check("bottleneck_small") }

    // The layouts users bring, captured by torch.export; blocks found by BlockFinder.
    func testKuangliuResNet18() throws { try check("kuangliu_resnet18") }
    func testKuangliuPreActResNet18() throws { try check("kuangliu_preact18") }
    func testTimmResNet18DDeepStemAndAveragePoolShortcut() throws { try check("timm_resnet18d") }
    func testTimmSEResNet18SqueezeExcitationInTheBranch() throws { try check("timm_seresnet18") }
    func testTransformersResNet() throws { try check("hf_resnet") }
    /// Pre-activation bottlenecks whose projections read the pre-activation, a final batch norm and
    /// ReLU, and a classifier written as a 1x1 convolution on the pooled map.
    func testTimmResNetV2PreActivationWithAConvolutionClassifier() throws { try check("timm_resnetv2_50d") }
    /// Big Transfer's form: group norm (forward and input gradient), weights standardised by the
    /// exporter, zero padding before the stem's max pooling.
    func testTimmBigTransferGroupNormAndStandardisedWeights() throws { try check("timm_bit") }
    /// timm's ByobNet '-ts' ResNeXt: SiLU after every norm and after each add (which the block
    /// finder leaves at the next block's opening), grouped 3x3 convolutions, a tiered stem.
    func testTimmByobNetWithSiLU() throws { try check("timm_resnext_ts") }
    /// transformers' Big Transfer with 'SAME' padding, as google/bit-50 is configured: padding
    /// only after an even map, in the stem's convolution (2 before, 3 after), its max pooling and
    /// the 3x3 stride-2 convolutions (none before, 1 after).
    func testTransformersBigTransferWithSAMEPadding() throws { try check("hf_bit_same") }
    /// ECA-ResNet (timm's ecaresnet50d arguments on basic blocks): a 1-D convolution across the
    /// pooled channels gates each branch, 3 taps up to 64 channels and 5 at 128.
    func testTimmECAResNet() throws { try check("timm_ecaresnet") }
    /// The squeeze-excitation users write themselves (senet.pytorch's SELayer): the pooled
    /// channels flattened, Linear layers without biases, the gate viewed back and expanded. It
    /// was refused when the model loaded ("found flatten, linear, relu, linear").
    func testSqueezeExcitationWrittenWithLinearLayers() throws { try check("senet_cifar") }

    func testNoConvolutionFellBackToASlowKernel() throws {
        // Only these networks' plans: the property tests' odd shapes (7x7 stride 3 in groups of 4)
        // may rightly get gemm kernels, and they share the process's list.
        let fallbacks = try Compute.recordingFallbacks {
            for name in ["resnet20_a", "resnet20_b", "preact20_a", "bottleneck_small"] {
                let network = try ModelFile.load(fixture("\(name).model.h5"))
                let input = Tensor(zeros: [2, network.architecture.input.height, network.architecture.input.width, 3])
                _ = try network.inputGradient(input, target: .logits([0, 1]))
            }
        }
        // Without AVX-512, oneDNN 2.x has no direct kernel for the gradient into a 3-channel image
        // through a strided stem (measured on an AVX2 EPYC): a jit gemm there, nowhere else.
        let avx512 = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains("avx512f") ?? true
        let unexpected = fallbacks.filter { avx512 || !($0.hasPrefix("backward-data conv 3->") && $0.hasSuffix("gemm:jit")) }
        XCTAssertEqual(unexpected, [], "oneDNN picked reference or gemm kernels")
    }
}
