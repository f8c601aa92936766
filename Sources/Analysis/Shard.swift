import Nets

/// Which part of an experiment's work this process does: work unit u (a batch of images with a
/// chunk of variants) belongs to shard u mod count. Deterministic, so n processes on a batch
/// scheduler each compute one part and `lesion merge` puts them together.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses "i/n" with 0 ≤ i < n; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, (0..<n).contains(i) else { return nil }
        self.init(index: i, count: n)
    }

    public func owns(unit: Int) -> Bool { unit % count == index }
    public var description: String { "\(index)/\(count)" }
}
