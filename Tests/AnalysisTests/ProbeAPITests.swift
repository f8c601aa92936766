import XCTest
@testable import Analysis
@testable import Nets

/// The probe API fails loudly: unknown hook points before any work, undeclared reads at once.
final class ProbeAPITests: XCTestCase {
    final class Reader: Probe {
        let reads: [HookPoint]
        var observed = 0
        var readsUndeclared = false
        init(_ reads: [HookPoint]) { self.reads = reads }
        var name: String { "reader" }
        func observe(_ batch: Batch) throws {
            observed += 1
            for point in reads { _ = try batch.activation(point) }
            if readsUndeclared { _ = try batch.activation(.blockOutput(0)) }
        }
    }

    private let folder = Folder()

    private func runner(_ model: String) throws -> Runner {
        let network = try ModelFile.load(modelFixture(model))
        let data = try DatasetFile(try makeNoiseDataset(folder.path("\(model).h5"), count: 4, size: network.architecture.input.height))
        return try Runner(network: network, data: data, batchSize: 2)
    }

    func testTheNetworkListsItsHookPoints() throws {
        let residual = try ModelFile.load(modelFixture("resnet8_c")).hookPoints.map(\.name)
        XCTAssertEqual(residual.first, "stem")
        XCTAssertEqual(residual.last, "logits")
        XCTAssertEqual(residual.count, 2 + 3 * 3)
        XCTAssertFalse(residual.contains("blocks.0.gate"), "residual blocks have no gate")
        XCTAssertTrue(try ModelFile.load(modelFixture("highway")).hookPoints.contains(.blockGate(0)))
    }

    func testAnUnknownPointIsRefusedBeforeAnyWorkAndTheNearestAreNamed() throws {
        let runner = try runner("resnet8_c")
        for (point, nearest) in [(HookPoint("blocks.1.ouptut"), "'blocks.1.output'"), (.blockGate(0), "'blocks.0.input'"),
                                 (.blockInput(7), "'blocks.1.input'")] {
            let probe = Reader([.stem, point])
            XCTAssertThrowsError(try runner.run([probe])) { error in
                XCTAssertTrue(error is ProbeError, "\(error)")
                XCTAssertTrue("\(error)".contains("probe 'reader' reads the hook point '\(point)', which 'resnet8_c' does not have"), "\(error)")
                XCTAssertTrue("\(error)".contains(nearest), "«\(error)» names \(nearest)")
            }
            XCTAssertEqual(probe.observed, 0, "no batch ran")
        }
    }

    /// Evaluates one variant it announces (or does not), then reads a block input if asked to.
    final class VariantProbe: Probe {
        let variant: Variant
        let announces: Bool
        let readsInput: Bool
        var walkedAlong: [Bool] = []
        var evaluations: [Int] = []
        init(_ variant: Variant, announces: Bool, readsInput: Bool = false) {
            (self.variant, self.announces, self.readsInput) = (variant, announces, readsInput)
        }
        var name: String { "variants" }
        var evaluatesVariants: Bool { true }
        func plannedVariants(batch index: Int) -> [Variant] { announces ? [variant] : [] }
        func observe(_ batch: Batch) throws {
            walkedAlong.append(batch.walkedAlong)
            _ = try batch.evaluate([variant])
            if readsInput { _ = try batch.intactBlockInput(1) }
            evaluations.append(batch.blockEvaluations)
        }
    }

    /// Announced variants are walked along the intact pass, unless a probe evaluating variants
    /// announced none: it may read block inputs, which a walk would have to compute again.
    func testVariantsAreWalkedAlongOnlyWhenEveryProbeAnnouncesThem() throws {
        let runner = try runner("resnet8_c")
        let n = runner.network.blockCount
        let announcing = VariantProbe(.dropping([1], blocks: n), announces: true)
        try runner.run([announcing])
        XCTAssertEqual(announcing.walkedAlong, [true, true])
        XCTAssertEqual(announcing.evaluations, [n + (n - 1), n + (n - 1)])

        let planner = VariantProbe(.dropping([1], blocks: n), announces: true)
        let reader = VariantProbe(.dropping([2], blocks: n), announces: false, readsInput: true)
        try runner.run([planner, reader])
        XCTAssertEqual(planner.walkedAlong, [false, false])
        XCTAssertEqual(reader.evaluations, [n + (n - 1) + (n - 2), n + (n - 1) + (n - 2)], "one intact pass a batch")
    }

    func testReadingAnUndeclaredPointThrows() throws {
        let runner = try runner("resnet8_c")
        let probe = Reader([.stem])
        try runner.run([probe])
        XCTAssertEqual(probe.observed, 2)
        probe.readsUndeclared = true
        XCTAssertThrowsError(try runner.run([probe])) { error in
            XCTAssertTrue("\(error)".contains("no value at 'blocks.0.output': declare it in the probe's `reads`"), "\(error)")
        }
    }
}
