import Analysis
import ArgumentParser

/// `--shard i/n`, parsed by ArgumentParser so that a malformed value is a usage error (64).
extension Shard: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
