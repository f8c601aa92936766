import Foundation
import XCTest
import Analysis
import Nets

/// A probe written from the public API alone (no `@testable`), as a user would write one: how
/// similar each block's output is to its input, by minibatch linear CKA built from the public
/// Gram matrix and HSIC estimator. It must agree with the built-in CKA matrix next to its diagonal.
final class FreshProbeTests: XCTestCase {
    final class InputOutputSimilarity: Probe {
        let blocks: Int
        var cross: [Double], inputs: [Double], outputs: [Double]

        init(blocks: Int) {
            self.blocks = blocks
            (cross, inputs, outputs) = ([Double](repeating: 0, count: blocks), [Double](repeating: 0, count: blocks),
                                        [Double](repeating: 0, count: blocks))
        }

        var name: String { "input_output_cka" }
        var reads: [HookPoint] { (0..<blocks).flatMap { [.blockInput($0), .blockOutput($0)] } }

        func observe(_ batch: Batch) throws {
            let n = batch.labels.count
            guard n >= HSIC.minimumImages else { return }
            for block in 0..<blocks {
                let k = try MatrixProduct.gram(try batch.activation(.blockInput(block)))
                let l = try MatrixProduct.gram(try batch.activation(.blockOutput(block)))
                cross[block] += HSIC.unbiased(k, l, n: n)
                inputs[block] += HSIC.unbiased(k, k, n: n)
                outputs[block] += HSIC.unbiased(l, l, n: n)
            }
        }

        var similarity: [Double] { (0..<blocks).map { cross[$0] / (inputs[$0] * outputs[$0]).squareRoot() } }
    }

    func testAUserProbeBuiltOnTheGramAndHSICAgreesWithBlockCKA() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let runner = try Runner(network: network, data: try DatasetFile(fixtures.appendingPathComponent("probe_data.h5").path),
                                batchSize: 8)
        let mine = InputOutputSimilarity(blocks: network.blockCount)
        let builtIn = try BlockCKA(network: network, batchSize: 8)
        try runner.run([mine, builtIn])
        let matrix = builtIn.matrix
        for block in 1..<network.blockCount {
            // Block i's input is block i − 1's output.
            XCTAssertEqual(mine.similarity[block], matrix[(block - 1) * network.blockCount + block], accuracy: 1e-9, "block \(block)")
        }
        XCTAssertLessThan(mine.similarity[0], 1, "the first block changes its input")
    }
}
