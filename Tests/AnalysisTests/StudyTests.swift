import Foundation
import XCTest
@testable import Analysis
@testable import Nets

/// Several networks studied into one file, under their own groups.
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
}
