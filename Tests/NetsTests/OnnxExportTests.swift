import HDF5
import XCTest
@testable import Nets

/// Networks exported to ONNX by torch.onnx.export and converted by export_onnx.py, against
/// onnxruntime's logits on the same inputs (notebooks-export/make_onnx_fixtures.py).
final class OnnxExportTests: XCTestCase {
    private func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Network {
        let network = try ModelFile.load(fixture("onnx/\(name).model.h5"))
        let expected = try File.open(fixture("onnx/\(name).expected.h5")).root
        let input = try expected.dataset("input")
        let logits = try network.forward(nhwc(try input.read(as: Float.self), shape: try input.shape))
        assertClose(logits.values, try expected.dataset("logits").read(as: Float.self), "\(name) against onnxruntime",
                    file: file, line: line)
        return network
    }

    func testBatchNormsKeptOrFoldedGiveOnnxruntimesLogits() throws {
        let kept = try check("cifar8_bn")
        let folded = try check("cifar8_folded")
        for network in [kept, folded] {
            XCTAssertEqual(network.architecture.blocks.map(\.name), ["layer1.0", "layer2.0", "layer3.0"])
            XCTAssertEqual(network.architecture.blocks.map(\.shortcut.kind), [.identity, .projection, .projection])
        }
        XCTAssertFalse(kept.architecture.batchNormFolded)
        XCTAssertTrue(folded.architecture.batchNormFolded)
        XCTAssertTrue(kept.architecture.blocks[0].branch.contains { $0.op == .batchnorm })
        XCTAssertFalse(folded.architecture.blocks.contains { $0.branch.contains { $0.op == .batchnorm } })
        XCTAssertNoThrow(try kept.checkRecalibratable())
        XCTAssertThrowsError(try folded.checkRecalibratable()) { error in
            XCTAssertTrue("\(error)".contains("cifar8_folded.model.h5: its batch norms were folded into the convolutions"), "\(error)")
            XCTAssertEqual((error as? NetsError)?.kind, .badInput)
        }
    }

    func testAPreActivationResNetKeepsItsPreActivations() throws {
        let network = try check("preact8")
        XCTAssertEqual(network.architecture.blocks.count, 3)
        XCTAssertTrue(network.architecture.blocks.dropFirst().allSatisfy { $0.preact.map(\.op) == [.batchnorm, .relu] },
                      "\(network.architecture.blocks.map(\.preact))")
        XCTAssertTrue(network.architecture.batchNormFolded, "the convolution-first batch norms were folded")
    }

    func testSqueezeExcitationIsFoundInTheBranch() throws {
        let network = try check("seresnet")
        XCTAssertEqual(network.architecture.blocks.count, 8)
        XCTAssertTrue(network.architecture.blocks.allSatisfy { $0.branch.contains { $0.op == .squeezeExcitation } })
    }

    func testABottleneckResNet() throws {
        let network = try check("bottleneck")
        XCTAssertTrue(network.architecture.blocks.allSatisfy { $0.form == "bottleneck" })
    }
}
