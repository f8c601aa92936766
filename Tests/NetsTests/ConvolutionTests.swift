import Foundation
import XCTest
@testable import Nets

/// The oneDNN convolution against the naive reference, forward and backward, on random shapes.
final class ConvolutionTests: XCTestCase {
    private func randomGeometry(_ random: inout Seeded) -> (ConvGeometry, [Int]) {
        let groups = [1, 1, 1, 2, 4].randomElement(using: &random)!
        let inChannels = groups * Int.random(in: 1...6, using: &random)
        let outChannels = groups * Int.random(in: 1...6, using: &random)
        let kernel = [1, 3, 3, 5, 7].randomElement(using: &random)!
        var geometry = ConvGeometry(inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                                    stride: Int.random(in: 1...3, using: &random), padding: 0, groups: groups)
        geometry.padTop = Int.random(in: 0...kernel / 2, using: &random)
        geometry.padLeft = Int.random(in: 0...kernel / 2, using: &random)
        geometry.padBottom = Int.random(in: 0...kernel / 2, using: &random)
        geometry.padRight = Int.random(in: 0...kernel / 2, using: &random)
        let size = Int.random(in: kernel...(kernel + 9), using: &random)
        return (geometry, [Int.random(in: 1...3, using: &random), size, size + Int.random(in: 0...3, using: &random), inChannels])
    }

    func testForwardMatchesTheReferenceOnRandomShapes() throws {
        var random = Seeded(1)
        for trial in 0..<40 {
            let (geometry, shape) = randomGeometry(&random)
            let weights = random.floats(geometry.weightCount)
            let bias = trial % 2 == 0 ? random.floats(geometry.outChannels) : nil
            let x = Tensor(shape: shape, values: random.floats(shape.reduce(1, *)))
            let conv = Convolution(geometry, weights: weights, bias: bias)
            let expected = Reference.conv(x, geometry, weights: weights, bias: bias)
            assertClose(try conv.forward(x).values, expected.values, "trial \(trial) \(geometry) on \(shape)")
            assertClose(try conv.forward(x, relu: true).values, Reference.relu(expected).values, "trial \(trial) with ReLU")
            assertClose(try conv.forward(x, sigmoid: true).values, expected.values.map { 1 / (1 + exp(-$0)) },
                        "trial \(trial) with the sigmoid")
        }
    }

    func testFusedResidualAddAccumulatesIntoTheDestination() throws {
        var random = Seeded(2)
        let geometry = ConvGeometry(inChannels: 16, outChannels: 16, kernel: 3, stride: 1, padding: 1)
        let weights = random.floats(geometry.weightCount)
        let bias = random.floats(16)
        let x = Tensor(shape: [2, 8, 8, 16], values: random.floats(2 * 8 * 8 * 16))
        let residual = random.floats(2 * 8 * 8 * 16)
        let output = Tensor(shape: [2, 8, 8, 16], values: residual)
        try Convolution(geometry, weights: weights, bias: bias).forward(x, into: output, accumulate: true, relu: true)
        let branch = Reference.conv(x, geometry, weights: weights, bias: bias).values
        assertClose(output.values, zip(branch, residual).map { max($0 + $1, 0) }, "relu(conv(x) + residual)")
    }

    func testBackwardDataMatchesTheReferenceOnRandomShapes() throws {
        var random = Seeded(3)
        for trial in 0..<40 {
            let (geometry, shape) = randomGeometry(&random)
            let (conv, weights, gy) = convolutionAndGradient(geometry, shape, &random)
            let expected = Reference.convBackwardData(gy, geometry, weights: weights, inputShape: shape)
            assertClose(try conv.backwardData(gy, inputShape: shape).values, expected.values,
                        "trial \(trial) \(geometry) on \(shape)")
        }
    }

    /// A strided convolution from few channels (a stem) goes backward as a matrix product and a
    /// scatter; windows that overlap, run off the edge or miss the last rows are all covered.
    func testFewChannelStridedBackwardIsLoweredAndMatchesTheReference() throws {
        var random = Seeded(4)
        var kerasPadding = ConvGeometry(inChannels: 1, outChannels: 5, kernel: 3, stride: 2)
        (kerasPadding.padBottom, kerasPadding.padRight) = (1, 1)
        var uneven = ConvGeometry(inChannels: 4, outChannels: 7, kernel: 5, stride: 3)
        (uneven.padTop, uneven.padLeft, uneven.padBottom, uneven.padRight) = (2, 1, 0, 2)
        let cases: [(ConvGeometry, [Int])] = [
            (ConvGeometry(inChannels: 3, outChannels: 64, kernel: 7, stride: 2, padding: 3), [2, 29, 30, 3]),
            (kerasPadding, [1, 9, 9, 1]),
            (uneven, [3, 11, 13, 4]),
            (ConvGeometry(inChannels: 2, outChannels: 8, kernel: 1, stride: 2), [2, 7, 6, 2]),
        ]
        for (geometry, shape) in cases {
            let (conv, weights, gy) = convolutionAndGradient(geometry, shape, &random)
            XCTAssertTrue(conv.backwardMethod.isLowered, "\(geometry)")
            assertClose(try conv.backwardData(gy, inputShape: shape).values,
                        Reference.convBackwardData(gy, geometry, weights: weights, inputShape: shape).values,
                        "\(geometry) on \(shape)")
        }
        let wide = ConvGeometry(inChannels: 5, outChannels: 8, kernel: 3, stride: 2, padding: 1)
        let unstrided = ConvGeometry(inChannels: 3, outChannels: 8, kernel: 3, stride: 1, padding: 1)
        for geometry in [wide, unstrided] {
            XCTAssertFalse(Convolution(geometry, weights: random.floats(geometry.weightCount), bias: nil).backwardMethod.isLowered,
                           "\(geometry)")
        }
    }

    /// A strided 1×1 convolution without padding (a projection shortcut) goes backward as a 1×1
    /// forward convolution on the output grid, placed every `stride` pixels: written with zeros
    /// between (into a recycled buffer that held NaNs), or added to a gradient already there.
    /// Sizes that leave the last rows and columns off the grid are included.
    func testStridedPointwiseBackwardRunsForwardAndMatchesTheReference() throws {
        var random = Seeded(5)
        let cases: [(ConvGeometry, [Int])] = [
            (ConvGeometry(inChannels: 64, outChannels: 128, kernel: 1, stride: 2), [3, 8, 8, 64]),
            (ConvGeometry(inChannels: 16, outChannels: 32, kernel: 1, stride: 2), [2, 7, 9, 16]),
            (ConvGeometry(inChannels: 24, outChannels: 8, kernel: 1, stride: 3), [2, 10, 11, 24]),
        ]
        for (geometry, shape) in cases {
            let (conv, weights, gy) = convolutionAndGradient(geometry, shape, &random)
            XCTAssertTrue(conv.backwardMethod.isStridedPointwise, "\(geometry)")
            let expected = Reference.convBackwardData(gy, geometry, weights: weights, inputShape: shape).values
            do { _ = Tensor(shape: shape, values: [Float](repeating: .nan, count: shape.reduce(1, *))) }
            assertClose(try conv.backwardData(gy, inputShape: shape).values, expected, "\(geometry) on \(shape)")
            let before = random.floats(shape.reduce(1, *))
            let total = Tensor(shape: shape, values: before)
            try conv.backwardData(gy, inputShape: shape, accumulatingInto: total)
            assertClose(total.values, zip(before, expected).map { $0 + $1 }, "\(geometry) on \(shape), accumulated")
        }
        let padded = ConvGeometry(inChannels: 16, outChannels: 32, kernel: 1, stride: 2, padding: 1)
        let overlapping = ConvGeometry(inChannels: 16, outChannels: 32, kernel: 3, stride: 2, padding: 1)
        for geometry in [padded, overlapping] {
            let shape = [2, 7, 7, 16]
            let (conv, weights, gy) = convolutionAndGradient(geometry, shape, &random)
            XCTAssertFalse(conv.backwardMethod.isStridedPointwise, "\(geometry)")
            assertClose(try conv.backwardData(gy, inputShape: shape).values,
                        Reference.convBackwardData(gy, geometry, weights: weights, inputShape: shape).values, "\(geometry)")
        }
    }

    /// On small maps a 1×1 convolution runs over the batch as one row of pixels; every output must
    /// keep its bits, fused add and ReLU included, and other geometries keep their grid.
    func testPointwiseConvolutionsOnSmallMapsKeepTheirBitsFlattened() throws {
        var random = Seeded(6)
        let limit = Compute.pointwiseFlatteningPixels
        defer { Compute.pointwiseFlatteningPixels = limit }
        let cases: [(ConvGeometry, [Int])] = [
            (ConvGeometry(inChannels: 64, outChannels: 256, kernel: 1), [5, 7, 7, 64]),
            (ConvGeometry(inChannels: 256, outChannels: 64, kernel: 1), [3, 14, 14, 256]),
            (ConvGeometry(inChannels: 128, outChannels: 512, kernel: 1), [2, 28, 28, 128]),
            (ConvGeometry(inChannels: 24, outChannels: 40, kernel: 1), [3, 5, 9, 24]),
        ]
        for (geometry, shape) in cases {
            let conv = Convolution(geometry, weights: random.floats(geometry.weightCount), bias: random.floats(geometry.outChannels))
            let x = Tensor(shape: shape, values: random.floats(shape.reduce(1, *)))
            let residual = random.floats(conv.outputShape(for: shape).reduce(1, *))
            func outputs() throws -> [[Float]] {
                let sum = Tensor(shape: conv.outputShape(for: shape), values: residual)
                try conv.forward(x, into: sum, accumulate: true, relu: true)
                return [try conv.forward(x).values, try conv.forward(x, relu: true).values, sum.values]
            }
            Compute.pointwiseFlatteningPixels = limit
            XCTAssertTrue(conv.planGrid(shape) == (1, 1, shape[0] * shape[1] * shape[2]), "\(geometry) on \(shape)")
            let flattened = try outputs()
            Compute.pointwiseFlatteningPixels = 0
            XCTAssertTrue(conv.planGrid(shape) == (shape[0], shape[1], shape[2]), "\(geometry) on \(shape)")
            XCTAssertEqual(flattened, try outputs(), "\(geometry) on \(shape)")
        }
        Compute.pointwiseFlatteningPixels = limit
        let kept: [(ConvGeometry, [Int])] = [
            (ConvGeometry(inChannels: 64, outChannels: 64, kernel: 1), [2, 29, 28, 64]),
            (ConvGeometry(inChannels: 64, outChannels: 64, kernel: 1, stride: 2), [2, 14, 14, 64]),
            (ConvGeometry(inChannels: 64, outChannels: 64, kernel: 1, padding: 1), [2, 14, 14, 64]),
            (ConvGeometry(inChannels: 64, outChannels: 64, kernel: 3, padding: 1), [2, 14, 14, 64]),
            (ConvGeometry(inChannels: 64, outChannels: 64, kernel: 1, groups: 2), [2, 14, 14, 64]),
        ]
        for (geometry, shape) in kept {
            let conv = Convolution(geometry, weights: [Float](repeating: 0, count: geometry.weightCount), bias: nil)
            XCTAssertTrue(conv.planGrid(shape) == (shape[0], shape[1], shape[2]), "\(geometry) on \(shape)")
        }
    }

    /// A strided 1×1 convolution onto a small map runs on its input subsampled to the output grid;
    /// every output must keep the bits oneDNN's strided kernel gives, and agree with the reference.
    func testStridedPointwiseForwardOnSmallMapsKeepsItsBitsSubsampled() throws {
        var random = Seeded(7)
        let limit = Compute.pointwiseFlatteningPixels
        defer { Compute.pointwiseFlatteningPixels = limit }
        let cases: [(ConvGeometry, [Int])] = [
            (ConvGeometry(inChannels: 64, outChannels: 128, kernel: 1, stride: 2), [3, 14, 14, 64]),
            (ConvGeometry(inChannels: 128, outChannels: 256, kernel: 1, stride: 2), [2, 13, 15, 128]),
            (ConvGeometry(inChannels: 24, outChannels: 40, kernel: 1, stride: 3), [3, 10, 11, 24]),
        ]
        for (geometry, shape) in cases {
            let weights = random.floats(geometry.weightCount), bias = random.floats(geometry.outChannels)
            let conv = Convolution(geometry, weights: weights, bias: bias)
            let x = Tensor(shape: shape, values: random.floats(shape.reduce(1, *)))
            let outputShape = conv.outputShape(for: shape)
            Compute.pointwiseFlatteningPixels = limit
            XCTAssertTrue(SubsampledPointwise.applies(toOutputPixels: outputShape[1] * outputShape[2]), "\(geometry) on \(shape)")
            let residual = random.floats(outputShape.reduce(1, *))
            func outputs() throws -> [[Float]] {
                let sum = Tensor(shape: outputShape, values: residual)
                try conv.forward(x, into: sum, accumulate: true, relu: true)
                return [try conv.forward(x).values, try conv.forward(x, sigmoid: true).values, sum.values]
            }
            let subsampled = try outputs()
            assertClose(subsampled[0], Reference.conv(x, geometry, weights: weights, bias: bias).values, "\(geometry) on \(shape)")
            Compute.pointwiseFlatteningPixels = 0
            XCTAssertFalse(SubsampledPointwise.applies(toOutputPixels: outputShape[1] * outputShape[2]))
            XCTAssertEqual(subsampled, try outputs(), "\(geometry) on \(shape)")
        }
        Compute.pointwiseFlatteningPixels = limit
        XCTAssertFalse(SubsampledPointwise.applies(toOutputPixels: 15 * 14), "maps larger than 14×14 keep the strided kernel")
        XCTAssertNil(SubsampledPointwise(ConvGeometry(inChannels: 8, outChannels: 8, kernel: 1, stride: 2, padding: 1), weights: [Float](repeating: 0, count: 64), bias: nil))
        XCTAssertNil(SubsampledPointwise(ConvGeometry(inChannels: 8, outChannels: 8, kernel: 1), weights: [Float](repeating: 0, count: 64), bias: nil))
    }

    /// The weights of a backward pass run as a forward one, turned in tiles of 32 channels: on
    /// channel counts that leave ragged tiles, each weight lands where the definition puts it.
    func testTransposedAndFlippedWeightsFollowTheirDefinitionAcrossTiles() {
        var random = Seeded(17)
        for (inputs, outputs, kernel) in [(37, 70, 3), (70, 37, 1), (64, 33, 5), (1, 40, 7)] {
            let geometry = ConvGeometry(inChannels: inputs, outChannels: outputs, kernel: kernel)
            let weights = random.floats(geometry.weightCount)
            let turned = Convolution.transposedAndFlipped(geometry, weights)
            var expected = [Float](repeating: .nan, count: weights.count)
            for o in 0..<outputs { for c in 0..<inputs { for i in 0..<kernel { for j in 0..<kernel {
                expected[((c * outputs + o) * kernel + kernel - 1 - i) * kernel + kernel - 1 - j] =
                    weights[((o * inputs + c) * kernel + i) * kernel + j]
            } } } }
            let wrong = zip(turned, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
            XCTAssertTrue(turned.count == expected.count && wrong.isEmpty,
                          "\(inputs)→\(outputs), \(kernel)×\(kernel): \(wrong.count) weights misplaced, the first at \(wrong.first ?? -1)")
        }
    }

    func testTheReferenceBackwardIsTheDerivativeOfTheReferenceForward() throws {
        var random = Seeded(4)
        let geometry = ConvGeometry(inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1)
        let weights = random.floats(geometry.weightCount)
        let x = Tensor(shape: [1, 5, 6, 3], values: random.floats(90))
        let outputShape = geometry.outputSize(height: 5, width: 6)
        let probe = random.floats(outputShape.height * outputShape.width * 4)
        let numeric = Reference.numericGradient(x, probe: probe) { Reference.conv($0, geometry, weights: weights, bias: nil) }
        let analytic = Reference.convBackwardData(Tensor(shape: [1, outputShape.height, outputShape.width, 4], values: probe),
                                                  geometry, weights: weights, inputShape: x.shape)
        assertClose(analytic.values, numeric, tolerance: 1e-3, "reference backward vs finite differences")
    }

    func testBadShapesAreErrors() throws {
        let conv = Convolution(ConvGeometry(inChannels: 3, outChannels: 4, kernel: 3), weights: [Float](repeating: 0, count: 108), bias: nil)
        XCTAssertThrowsError(try conv.forward(Tensor(zeros: [1, 8, 8, 4]))) { error in
            XCTAssertTrue("\(error)".contains("expects NHWC input with 3 channels"), "\(error)")
        }
        XCTAssertThrowsError(try conv.forward(Tensor(zeros: [1, 2, 2, 3])))
    }
}

/// A convolution with random weights, and a random gradient at its output for an input of `shape`.
private func convolutionAndGradient(_ geometry: ConvGeometry, _ shape: [Int], _ random: inout Seeded)
    -> (conv: Convolution, weights: [Float], outputGradient: Tensor) {
    let weights = random.floats(geometry.weightCount)
    let conv = Convolution(geometry, weights: weights, bias: nil)
    let outputShape = conv.outputShape(for: shape)
    return (conv, weights, Tensor(shape: outputShape, values: random.floats(outputShape.reduce(1, *))))
}

private extension Convolution.BackwardMethod {
    var isLowered: Bool { if case .lowered = self { true } else { false } }
    var isStridedPointwise: Bool { if case .stridedPointwise = self { true } else { false } }
}
