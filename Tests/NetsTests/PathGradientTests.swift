import HDF5
import XCTest
@testable import Nets

/// Input gradients split by path: single paths against PyTorch, the exact decomposition against
/// brute-force enumeration of every path.
final class PathGradientTests: XCTestCase {
    private func load(_ name: String) throws -> (Network, ForwardRecord, Tensor, Group) {
        let network = try ModelFile.load(fixture("\(name).model.h5"))
        let expected = try File.open(fixture("\(name).expected.h5")).root
        let data = try expected.dataset("input")
        let input = nhwc(try data.read(as: Float.self), shape: try data.shape)
        let labels = try expected.dataset("labels").read(as: Int64.self).map { Int($0) }
        let record = try network.record(input)
        return (network, record, try Loss.logitGradient(record.logits, target: .crossEntropy(labels: labels)), expected)
    }

    /// Routing a backward pass through chosen branches gives PyTorch's gradient of that path.
    func testSinglePathsMatchPyTorch() throws {
        for name in ["resnet20_a", "resnet8_c"] {
            let (network, record, seed, expected) = try load(name)
            var checked = 0
            for (member, _) in try expected.members() where member.hasPrefix("path_") {
                let branches = Set(member.dropFirst(5).split(separator: "_").compactMap { Int($0) })
                var routes: [Int: Route] = [:]
                for block in 0..<network.blockCount { routes[block] = branches.contains(block) ? .branch : .shortcut }
                let gradient = try network.backward(record, logitGradient: seed, routes: routes)
                assertClose(nchw(gradient), try expected.dataset(member).read(as: Float.self), "\(name) \(member)")
                checked += 1
            }
            XCTAssertGreaterThan(checked, 1)
        }
    }

    /// c_k equals the sum of the gradients of all C(n, k) paths of length k, enumerated one by one.
    func testExactDecompositionEqualsBruteForceEnumeration() throws {
        for name in ["resnet8_c", "resnet20_a", "preact8_b", "highway"] {
            let (network, record, seed, _) = try load(name)
            let n = network.blockCount
            let coefficients = try network.pathGradients(record, logitGradient: seed, maxLength: n)
            let plain = Set((0..<n).filter { network.architecture.blocks[$0].kind == .plain })
            var sums = [[Float]?](repeating: nil, count: n + 1)
            for subset in 0..<(1 << n) {
                let branches = Set((0..<n).filter { subset & (1 << $0) != 0 })
                guard plain.isSubset(of: branches) else { continue }   // no path skips a plain block
                var routes: [Int: Route] = [:]
                for block in 0..<n { routes[block] = branches.contains(block) ? .branch : .shortcut }
                let gradient = try network.backward(record, logitGradient: seed, routes: routes).values
                sums[branches.count] = sums[branches.count].map { zip($0, gradient).map(+) } ?? gradient
            }
            for k in 0...n {
                guard let expected = sums[k] else {
                    XCTAssertNil(coefficients[k], "\(name): no path of length \(k)")
                    continue
                }
                assertClose(coefficients[k]!.values, expected, tolerance: 1e-4, "\(name) paths of length \(k)")
            }
        }
    }

    func testCoefficientsAddUpToTheInputGradient() throws {
        for name in ["resnet20_b", "preact20_a", "bottleneck_small", "plain20"] {
            let (network, record, seed, _) = try load(name)
            let full = try network.backward(record, logitGradient: seed).values
            let coefficients = try network.pathGradients(record, logitGradient: seed, maxLength: network.blockCount)
            var sum = [Float](repeating: 0, count: full.count)
            for c in coefficients.compactMap({ $0 }) { sum = zip(sum, c.values).map(+) }
            assertClose(sum, full, tolerance: 1e-5, "\(name) Σ c_k")
        }
    }
}
