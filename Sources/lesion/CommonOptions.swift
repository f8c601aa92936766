import ArgumentParser
import Nets

/// Options every command that runs a network takes.
/// How networks run: batch size and threads. Every command that runs one has these.
struct EngineOptions: ParsableArguments {
    @Option(help: "Images per batch.")
    var batchSize = 128

    @Option(help: "CPU threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
    }

    func apply() {
        if let threads { Compute.threads = threads }
    }
}

/// The engine's options, and how much of the data to use and how to report.
struct ComputeOptions: ParsableArguments {
    @OptionGroup var engine: EngineOptions

    @Option(help: "Use only the first N images.")
    var limit: Int?

    @Flag(help: "Print machine-readable JSON on stdout.")
    var json = false

    @Flag(help: "No progress bar.")
    var quiet = false

    var batchSize: Int { engine.batchSize }
    var threads: Int? { engine.threads }

    func validate() throws {
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
    }

    func apply() { engine.apply() }

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
