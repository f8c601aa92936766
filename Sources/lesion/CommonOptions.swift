import ArgumentParser
import Nets

/// Options every command that runs a network takes.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Images per batch.")
    var batchSize = 128

    @Option(help: "CPU threads (default: all cores).")
    var threads: Int?

    @Option(help: "Use only the first N images.")
    var limit: Int?

    @Flag(help: "Print machine-readable JSON on stdout.")
    var json = false

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
    }

    func apply() {
        if let threads { Compute.threads = threads }
    }

    /// Batches over the first `limit` of `count` images.
    func batches(of count: Int) -> [Range<Int>] {
        let total = min(count, limit ?? count)
        return stride(from: 0, to: total, by: batchSize).map { $0..<min($0 + batchSize, total) }
    }
}

/// A count flag that must be at least 1: a usage error (64) naming the flag otherwise.
func requirePositive(_ value: Int, _ flag: String) throws {
    guard value > 0 else { throw ValidationError("\(flag) must be positive, not \(value)") }
}
