import Foundation
import XCTest
import HDF5
@testable import Analysis
@testable import Nets

/// Studies: several networks in one file, and progress in work units.
final class StudyTests: XCTestCase {
    /// The verdict table and the report list networks in the order they were studied. That order
    /// was once read from a whole-second time stamp, so networks studied within one second came
    /// back sorted by group name instead.
    func testNetworksComeBackInTheOrderTheyWereStudied() throws {
        let folder = Folder()
        let data = try makeNoiseDataset(folder.path("data.h5"), count: 4, size: 32)
        let output = folder.path("study.h5")
        let order = ["zeta", "mu", "alpha"]
        for prefix in order {
            var options = Study.Options()
            options.batchSize = 4
            options.prefix = prefix
            let study = try Study(model: modelFixture("resnet20_a"), data: data, output: output, options: options)
            try study.run(try study.prepare([DropOne()]))
        }
        XCTAssertEqual(try StudyResults(output).networks.map(\.group), order)
    }

    /// Progress counts work units (a chunk of variants on a batch, a batch of the groups measured
    /// whole), each reported once, so a bar moves within a long batch; a resumed run starts at
    /// the units already done.
    func testProgressCountsWorkUnits() throws {
        let folder = Folder()
        let data = try makeNoiseDataset(folder.path("data.h5"), count: 6, size: 32)
        let output = folder.path("study.h5")
        var options = Study.Options()
        options.batchSize = 4
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        // 2 batches; drop-many's sets are two chunks of at most 64 variants.
        let many = DropMany(maxK: 3, samples: 40, seed: 1)
        do {
            let study = try Study(model: modelFixture("resnet20_a"), data: data, output: output, options: options)
            let runs = try study.prepare([DropOne(), many])
            XCTAssertEqual(runs.map(\.chunks.count), [1, 2])
            let gradients = try ExactPathGradients(network: network, batches: 1)
            var seen: [(Int, Int)] = []
            try study.run(runs, groups: [gradients]) { seen.append(($0, $1)) }
            let units = 2 * 1 + 2 * 2 + 1
            XCTAssertEqual(seen.map(\.1), Array(repeating: units, count: units + 1))
            XCTAssertEqual(seen.map(\.0), Array(0...units))
        }

        var resumed = Study.Options()
        resumed.batchSize = 4
        resumed.resume = true
        let again = try Study(model: modelFixture("resnet20_a"), data: data, output: output, options: resumed)
        var first: (Int, Int)?
        try again.run(try again.prepare([DropOne(), many])) { if first == nil { first = ($0, $1) } }
        XCTAssertEqual(first?.0, 6, "every unit of the experiments was done")
        XCTAssertEqual(first?.1, 6)
    }

    /// With --resume, a complete exact-gradient group is taken up from the file, not measured again.
    func testAResumedStudyTakesUpFinishedGradients() throws {
        let folder = Folder()
        let data = try makeNoiseDataset(folder.path("data.h5"), count: 6, size: 32)
        let output = folder.path("study.h5")
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        var options = Study.Options()
        options.batchSize = 4
        var sums: [Double] = []
        do {
            let study = try Study(model: modelFixture("resnet20_a"), data: data, output: output, options: options)
            let gradients = try ExactPathGradients(network: network, batchCount: 2)
            try study.prepare(groups: [gradients])
            try study.run([], groups: [gradients])
            sums = gradients.normSums
        }
        options.resume = true
        let again = try Study(model: modelFixture("resnet20_a"), data: data, output: output, options: options)
        let gradients = try ExactPathGradients(network: network, batchCount: 2)
        try again.prepare(groups: [gradients])
        XCTAssertTrue(gradients.isComplete)
        XCTAssertFalse(gradients.wants(batch: 0) || gradients.wants(batch: 1), "nothing left to measure")
        XCTAssertEqual(gradients.normSums, sums)
        XCTAssertEqual(gradients.images, 6)

        // A group an earlier Unravel wrote whole (no batches, no settings) is measured again, as it was.
        do {
            let group = try File.open(output, .readWrite).root.group("grads_exact")
            try group.remove("raw")
            try group.removeAttribute("settings")
        }
        let older = try ExactPathGradients(network: network, batchCount: 2)
        try again.prepare(groups: [older])
        XCTAssertTrue(older.wants(batch: 0) && older.wants(batch: 1))
    }
}
