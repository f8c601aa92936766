import Foundation
import XCTest
@testable import Nets

final class ComputeTests: XCTestCase {
    /// The core count is read once; a thread count set and then cleared (0) goes back to it.
    func testThreadsDefaultToTheCoresAndFollowWhatIsSet() {
        let saved = Compute.threads
        defer { Compute.threads = saved }
        Compute.threads = 0
        XCTAssertEqual(Compute.threads, ProcessInfo.processInfo.activeProcessorCount)
        Compute.threads = 3
        XCTAssertEqual(Compute.threads, 3)
        Compute.threads = -4
        XCTAssertEqual(Compute.threads, ProcessInfo.processInfo.activeProcessorCount, "a negative count means the default")
    }
}
