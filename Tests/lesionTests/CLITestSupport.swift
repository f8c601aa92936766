import Foundation
import XCTest

/// Runs the built `lesion` binary, as a user would.
struct CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static var binary: URL {
        let folder = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
            ?? Bundle.main.bundleURL
        return folder.appendingPathComponent("lesion")
    }

    /// Runs `lesion arguments` at a terminal width of 100 unless `environment` sets COLUMNS.
    /// `executable` runs something else (a shell that sets a limit, say) with `arguments` whole.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], executable: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? binary
        process.arguments = executable == nil ? arguments : Array(arguments.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "100"
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

func netsFixture(_ name: String) -> String {
    testsFolder.deletingLastPathComponent().appendingPathComponent("NetsTests/Fixtures/\(name)").path
}

/// Compares text with Golden/NAME; UPDATE_GOLDEN=1 rewrites the golden file instead.
///
/// With `relativeTolerance`, numbers may differ by that share of their size and everything else
/// must be equal: oneDNN picks its kernels by the CPU, so the last printed digit of a gradient
/// magnitude can differ between machines while the layout and every count must not.
func assertGolden(_ text: String, _ name: String, relativeTolerance: Double = 0,
                  file: StaticString = #filePath, line: UInt = #line) throws {
    let url = testsFolder.appendingPathComponent("Golden").appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
        try text.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    let golden = try String(contentsOf: url, encoding: .utf8)
    let a = text.split(separator: "\n", omittingEmptySubsequences: false)
    let b = golden.split(separator: "\n", omittingEmptySubsequences: false)
    let same = { (x: Substring, y: Substring) in x == y || (relativeTolerance > 0 && nearlyEqual(x, y, relativeTolerance)) }
    if a.count != b.count || zip(a, b).contains(where: { !same($0, $1) }) {
        let first = (0..<min(a.count, b.count)).first { !same(a[$0], b[$0]) } ?? min(a.count, b.count)
        XCTFail("output differs from Golden/\(name) at line \(first + 1):\n  got:      \(first < a.count ? String(a[first]) : "<end>")\n  expected: \(first < b.count ? String(b[first]) : "<end>")\n(UPDATE_GOLDEN=1 rewrites it)", file: file, line: line)
    }
}

/// Whether two lines are equal but for numbers within `tolerance` of each other, relatively, or
/// one unit apart in the last printed decimal: a value near zero that sits on a rounding boundary
/// (0.00435 printed to four places) flips its last digit on another CPU's kernels, a large
/// relative change that is none in the value. Integers (counts) must match exactly.
func nearlyEqual(_ x: Substring, _ y: Substring, _ tolerance: Double) -> Bool {
    let number = /[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/
    let (u, v) = (x.matches(of: number), y.matches(of: number))
    guard u.count == v.count, x.replacing(number, with: "#") == y.replacing(number, with: "#") else { return false }
    return zip(u, v).allSatisfy { p, q in
        guard let a = Double(p.output.0), let b = Double(q.output.0) else { return p.output.0 == q.output.0 }
        let lastDigit = min(lastPrintedUnit(p.output.0), lastPrintedUnit(q.output.0))
        return abs(a - b) <= tolerance * max(abs(a), abs(b)) || abs(a - b) <= lastDigit * 1.000001
    }
}

/// The value of one unit in the last printed decimal of a number's text (0.0001 for "0.0043",
/// 1e-5 for "1.25e-3"); 0 for an integer, which has no rounding to forgive.
func lastPrintedUnit(_ text: Substring) -> Double {
    let mantissa = text.split(whereSeparator: { $0 == "e" || $0 == "E" })
    guard let point = mantissa[0].firstIndex(of: ".") else { return 0 }
    let decimals = mantissa[0].distance(from: point, to: mantissa[0].endIndex) - 1
    let exponent = mantissa.count > 1 ? Int(mantissa[1]) ?? 0 : 0
    return pow(10, Double(exponent - decimals))
}
