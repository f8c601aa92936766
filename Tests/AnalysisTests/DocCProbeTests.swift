import Foundation
import XCTest
import Analysis
import Nets

// ARTICLE-BEGIN
/// How large each block's branch is next to its input, averaged over batches.
final class BranchNorms: Probe {
    let blocks: Int
    var ratios: [Double]
    var batches = 0.0

    init(blocks: Int) {
        self.blocks = blocks
        ratios = [Double](repeating: 0, count: blocks)
    }

    var name: String { "branch_norms" }
    var reads: [HookPoint] { (0..<blocks).flatMap { [.blockInput($0), .blockBranch($0)] } }

    func observe(_ batch: Batch) throws {
        for block in 0..<blocks {
            ratios[block] += norm(try batch.activation(.blockBranch(block))) / norm(try batch.activation(.blockInput(block)))
        }
        batches += 1
    }

    func finish() throws { ratios = ratios.map { $0 / batches } }
}
// ARTICLE-END

/// The "Writing a probe" article (Analysis.docc) and the Probe doc comment show this probe, which
/// compiles and runs here.
final class DocCProbeTests: XCTestCase {
    func testTheArticleAndTheDocCommentShowThisProbe() throws {
        let probeSource = try markedSource(#filePath, "ARTICLE")
        let article = try repositoryFile("Sources/Analysis/Analysis.docc/WritingAProbe.md")
        XCTAssertTrue(article.contains(probeSource), "WritingAProbe.md must show the probe exactly as tested here")
        let comment = try repositoryFile("Sources/Analysis/Probe.swift")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { $0.hasPrefix("///") }
            .map { $0 == "///" ? "" : String($0.dropFirst(4)) }
            .joined(separator: "\n")
        XCTAssertTrue(comment.contains(probeSource), "Probe's doc comment must show the probe exactly as tested here")
    }

    func testTheProbeRuns() throws {
        let folder = Folder()
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let probe = BranchNorms(blocks: network.blockCount)
        try Runner(network: network, data: try DatasetFile(try makeNoiseDataset(folder.path("d.h5"), count: 6, size: 32)), batchSize: 4)
            .run([probe])
        XCTAssertEqual(probe.batches, 2)
        XCTAssertTrue(probe.ratios.allSatisfy { $0 > 0 && $0.isFinite })
    }
}
