import HDF5

/// A group of a results file that is written whole (path counts, gradient measurements), beside
/// the resumable lesion experiments.
public protocol ResultsGroup {
    /// The group's name, e.g. "paths".
    var id: String { get }
    func write(into root: Group) throws
}

extension Group {
    /// A 1-D float64 dataset with a units attribute.
    @discardableResult
    func column(_ name: String, _ values: [Double], units: String) throws -> Dataset {
        let dataset = try createDataset(name, shape: [values.count], values: values, options: .checksummed)
        try dataset.setAttribute("units", units)
        return dataset
    }
}

/// A results group written under a named group, e.g. "resnet56/paths".
public struct PrefixedGroup: ResultsGroup {
    public let prefix: String
    public let inner: ResultsGroup

    public init(_ prefix: String, _ inner: ResultsGroup) {
        self.prefix = prefix
        self.inner = inner
    }

    public var id: String { "\(prefix)/\(inner.id)" }

    public func write(into root: Group) throws {
        try inner.write(into: try root.groupCreatingIfNeeded(prefix))
    }
}
