/// The built-in experiments, by the results group each writes. A results-file id names one as
/// "drop_one", "resnet56/drop_one" (a network of a several-network study) or
/// "drop_one_recalibrated" (with batch norms re-estimated); user experiments have other ids.
public enum ExperimentKind: String, Sendable, CaseIterable {
    case dropOne = "drop_one"
    case dropMany = "drop_many"
    case reorder
    case duplicate
    case scale
    case ablate
    case reinit

    /// The suffix of a run with re-estimated batch norms.
    public static let recalibratedSuffix = "_recalibrated"

    /// The kind of the run `id` and whether its batch norms were re-estimated; nil for an id
    /// that is no built-in experiment.
    public static func parse(id: String) -> (kind: ExperimentKind, recalibrated: Bool)? {
        var name = id.split(separator: "/").last.map(String.init) ?? id
        let recalibrated = name.hasSuffix(recalibratedSuffix)
        if recalibrated { name.removeLast(recalibratedSuffix.count) }
        return ExperimentKind(rawValue: name).map { ($0, recalibrated) }
    }
}
