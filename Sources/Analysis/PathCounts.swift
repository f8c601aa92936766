import HDF5

/// The path-length distribution of a network (or of n residual blocks) as a results group.
public struct PathCounts: ResultsGroup {
    public let distribution: PathDistribution

    public init(_ distribution: PathDistribution) {
        self.distribution = distribution
    }

    public var id: String { "paths" }

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        let tightest = distribution.tightestInterval(holding: 0.95)
        try group.setAttribute("blocks", Int64(distribution.factors.count))
        try group.setAttribute("mean_length", distribution.mean)
        try group.setAttribute("tightest_95", [Int64(tightest.range.lowerBound), Int64(tightest.range.upperBound)])
        try group.setAttribute("tightest_95_share", tightest.share)
        try group.setAttribute("total_paths", distribution.totalPaths.description)
        try group.column("length", distribution.shares.indices.map(Double.init), units: "blocks whose branch the path takes")
        try group.createDataset("count", strings: distribution.counts.map(\.description)).setAttribute("units", "paths (exact, decimal)")
        try group.column("share", distribution.shares, units: "fraction of all paths")
    }
}
