import XCTest
@testable import Nets

/// `Network` is Sendable: one network run by several tasks at once, and two networks side by
/// side, must give exactly the numbers of sequential runs. Before plans bound their buffers per
/// call, one network on many tasks failed this about one time in three.
///
/// `make test-tsan` runs these under the thread sanitizer with UNRAVEL_TEST_OMP_THREADS=1: libgomp
/// is not instrumented, so every hand-over inside an OpenMP parallel region would be reported as
/// a race; with one OpenMP thread per task, every report is a race between the tasks themselves.
final class ConcurrencyTests: XCTestCase {
    private let rounds = 64
    private var threadsBefore = 0

    override func setUp() {
        threadsBefore = Compute.threads
        if let threads = ProcessInfo.processInfo.environment["UNRAVEL_TEST_OMP_THREADS"].flatMap(Int.init) {
            Compute.threads = threads
        }
    }

    override func tearDown() { Compute.threads = threadsBefore }

    private func inputs(_ count: Int, shape: [Int]) -> [Tensor] {
        var random = Seeded(7)
        return (0..<count).map { _ in Tensor(shape: shape, values: random.floats(shape.reduce(1, *))) }
    }

    /// Forward, a lesioned forward and the input gradient of one input: the three kinds of run.
    private static func runs(_ network: Network, _ input: Tensor) throws -> [[Float]] {
        let labels = Array(repeating: 1, count: input.shape[0])
        let (_, gradient) = try network.inputGradient(input, target: .crossEntropy(labels: labels))
        return [try network.forward(input).values,
                try network.forward(input, options: RunOptions(dropped: [1])).values,
                gradient.values]
    }

    private func concurrently(_ jobs: [(Network, Tensor)]) async throws -> [[[Float]]] {
        try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for (index, (network, input)) in jobs.enumerated() {
                group.addTask { (index, try Self.runs(network, input)) }
            }
            var results = [[[Float]]](repeating: [], count: jobs.count)
            for try await (index, result) in group { results[index] = result }
            return results
        }
    }

    private func assertSame(_ parallel: [[[Float]]], _ sequential: [[[Float]]],
                            file: StaticString = #filePath, line: UInt = #line) {
        let kinds = ["forward", "forward without block 1", "input gradient"]
        for (job, (got, expected)) in zip(parallel, sequential).enumerated() {
            for (kind, (a, b)) in zip(kinds, zip(got, expected)) where a != b {
                let differing = zip(a, b).filter { $0 != $1 }.count
                let largest = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                XCTFail("job \(job), \(kind): \(differing) of \(b.count) values differ from the sequential run (by up to \(largest))",
                        file: file, line: line)
            }
        }
    }

    func testOneNetworkOnManyTasksEqualsSequentialRuns() async throws {
        let network = try ModelFile.load(fixture("resnet20_a.model.h5"))
        let batch = inputs(rounds, shape: [4, 32, 32, 3])
        let sequential = try batch.map { try Self.runs(network, $0) }
        let parallel = try await concurrently(batch.map { (network, $0) })
        assertSame(parallel, sequential)
    }

    func testTwoNetworksSideBySideEqualSequentialRuns() async throws {
        let networks = [try ModelFile.load(fixture("resnet20_a.model.h5")),
                        try ModelFile.load(fixture("preact20_a.model.h5"))]
        let batch = inputs(rounds, shape: [4, 32, 32, 3])
        let jobs = batch.enumerated().map { (networks[$0.offset % 2], $0.element) }
        let sequential = try jobs.map { try Self.runs($0.0, $0.1) }
        let parallel = try await concurrently(jobs)
        assertSame(parallel, sequential)
    }
}
