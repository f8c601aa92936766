import Foundation
import XCTest
import Analysis
import Nets

// README-BEGIN
/// Greff et al. (2017): blocks refine one representation ("unrolled iterative estimation"), so
/// each branch's update is small next to its input, and consecutive block outputs point alike.
final class IterativeEstimation: Probe {
    let blocks: Int
    var relativeUpdate: [Double], cosine: [Double?], batches = 0.0

    init(blocks: Int) {
        self.blocks = blocks
        relativeUpdate = Array(repeating: 0, count: blocks)
        cosine = Array(repeating: 0, count: blocks - 1)
    }

    var name: String { "iterative_estimation" }
    var reads: [HookPoint] { (0..<blocks).flatMap { [.blockInput($0), .blockBranch($0), .blockOutput($0)] } }

    func observe(_ batch: Batch) throws {
        for i in 0..<blocks {
            relativeUpdate[i] += norm(try batch.activation(.blockBranch(i))) / norm(try batch.activation(.blockInput(i)))
            if i > 0, let c = cosineSimilarity(try batch.activation(.blockOutput(i - 1)), try batch.activation(.blockOutput(i))) {
                cosine[i - 1] = cosine[i - 1].map { $0 + c }
            } else if i > 0 { cosine[i - 1] = nil }  // a downsampling block changes the shape
        }
        batches += 1
    }
}
// README-END

final class ReadmeProbeTests: XCTestCase {
    /// The probe above is the README's, character for character.
    func testTheReadmeShowsThisProbe() throws {
        XCTAssertTrue(try repositoryFile("README.md").contains(try markedSource(#filePath, "README")),
                      "README.md must show the probe exactly as tested here")
    }

    func testTheReadmeProbeRuns() throws {
        let folder = Folder()
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let data = try DatasetFile(try makeNoiseDataset(folder.path("d.h5"), count: 10, size: 32))
        let runner = try Runner(network: network, data: data, batchSize: 4)
        let probe = IterativeEstimation(blocks: network.blockCount)
        try runner.run([probe])
        XCTAssertEqual(probe.batches, 3)
        XCTAssertTrue(probe.relativeUpdate.allSatisfy { $0 > 0 && $0.isFinite })
        XCTAssertEqual(probe.cosine.map { $0 == nil }, [false, false, true, false, false, true, false, false])
        for c in probe.cosine.compactMap({ $0 }) { XCTAssertLessThanOrEqual(abs(c / probe.batches), 1 + 1e-9) }
    }
}
