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
        let dataset = try createDataset(name, shape: [values.count], values: values)
        try dataset.setAttribute("units", units)
        return dataset
    }
}
