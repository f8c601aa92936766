import XCTest
@testable import Nets

/// A trace keeps each value as much as the backward reads: the tensor, its signs, or its shape.
final class TraceTests: XCTestCase {
    private func conv(_ channels: Int) -> Convolution {
        var random = Seeded(5)
        let geometry = ConvGeometry(inChannels: channels, outChannels: channels, kernel: 3, stride: 1, padding: 1)
        return Convolution(geometry, weights: random.floats(channels * channels * 9), bias: nil)
    }

    /// A stem like ResNet-50's, then a branch like a basic block's and a head.
    func testEachValueIsKeptAsMuchAsItsBackwardReads() throws {
        let program = Program(steps: [.conv(conv(4), relu: true), .maxPool(MaxPool(kernel: 3, stride: 2, padding: 1)),
                                      .conv(conv(4), relu: true), .conv(conv(4), relu: false), .globalAvgPool])
        var random = Seeded(9)
        let x = Tensor(shape: [2, 8, 8, 4], values: random.floats(2 * 8 * 8 * 4))
        let recorded = try program.forward(x, record: true)
        let trace = Trace(recorded, of: program)
        func kind(_ kept: Kept) -> String {
            switch kept {
            case .values: "values"
            case .signs: "signs"
            case .shape: "shape"
            }
        }
        // The image: only its shape. The first ReLU's output: max pooling reads it. Max
        // pooling's output: it reads that too. The second ReLU's: only its mask. The rest: shapes.
        XCTAssertEqual(([trace.input] + trace.outputs).map(kind), ["shape", "values", "values", "signs", "shape", "shape"])
        XCTAssertTrue(trace.tensors.allSatisfy { $0 === recorded[1] || $0 === recorded[2] })
        XCTAssertEqual(trace.outputShape, [2, 4])

        // The backward from the trace equals the one from every value (the ReLU masks then from
        // the floats, through oneDNN or the plain loop), to the bit.
        let g = Tensor(shape: [2, 4], values: random.floats(8))
        let fromTrace = try program.backward(g.copy(), trace: trace)
        let keepingEverything = Trace(input: .values(x), outputs: recorded.dropFirst().map { .values($0) })
        let everything = try program.backward(g.copy(), trace: keepingEverything)
        XCTAssertEqual(fromTrace.values.map(\.bitPattern), everything.values.map(\.bitPattern))
    }
}
