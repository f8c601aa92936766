import XCTest
@testable import Analysis
@testable import Nets

final class HighwayGatesTests: XCTestCase {
    /// A study gives the probe its batch count and skips the batches a resumed run holds. A
    /// library caller gives none, and one probe run over two datasets adds up both.
    func testWithoutABatchCountOneProbeAddsUpEveryRunItIsGiven() throws {
        let folder = Folder()
        let network = try ModelFile.load(modelFixture("highway"))
        let first = try DatasetFile(try makeNoiseDataset(folder.path("a.h5"), count: 6, size: 16, seed: 1))
        let second = try DatasetFile(try makeNoiseDataset(folder.path("b.h5"), count: 6, size: 16, seed: 2))
        let both = try HighwayGates(network: network)
        try Runner(network: network, data: first, batchSize: 4).run([both])
        let firstOnly = both.meanGates
        try Runner(network: network, data: second, batchSize: 4).run([both])
        let secondAlone = try HighwayGates(network: network)
        try Runner(network: network, data: second, batchSize: 4).run([secondAlone])
        for (layer, mean) in both.meanGates.enumerated() {
            XCTAssertEqual(mean, (firstOnly[layer] + secondAlone.meanGates[layer]) / 2, accuracy: 1e-12,
                           "layer \(layer): the mean of twelve images, six from each run")
            XCTAssertNotEqual(mean, firstOnly[layer], "the second run was counted")
        }
    }
}
