import Foundation

/// Does a network behave like an ensemble of shallow networks? Veit et al. never defined it,
/// and their reviewers said so; this states four criteria, each from one of their experiments,
/// with thresholds set from their own figures (docs/verdict.md says why each is where it is).
///
/// Damage is measured as a share of the way from the intact error to chance (1 − 1/classes), so
/// that networks with different error rates and class counts are judged alike: 0 is no damage,
/// 1 is a network that guesses.
public struct Verdict: Sendable, Encodable {
    public enum Outcome: String, Sendable, Encodable {
        case pass = "yes"
        case partly = "partly"
        case fail = "no"
        case notMeasured = "not measured"
    }

    public enum Overall: String, Sendable, Encodable {
        case ensembleLike = "ensemble-like"
        case partlyEnsembleLike = "partly ensemble-like"
        case notEnsembleLike = "not ensemble-like"
        case notMeasured = "not measured"
    }

    public enum Criterion: String, Sendable, CaseIterable, Encodable {
        /// Drop one: removing one non-downsampling block barely matters (Veit et al. Fig. 3).
        case singleRemovalsMild = "single removals are mild"
        /// Drop many: error grows smoothly with the number of blocks removed (Fig. 5a).
        case damageGrowsSmoothly = "damage grows smoothly with k"
        /// Reorder: error grows smoothly as the order is lost (Fig. 5b).
        case reorderingDegradesSmoothly = "reordering degrades smoothly"
        /// Gradients: the gradient comes from paths shorter than the typical path (Fig. 6c).
        case gradientFromShortPaths = "gradient comes from short paths"

        /// A column title for narrow tables.
        public var shortName: String {
            switch self {
            case .singleRemovalsMild: return "drop one"
            case .damageGrowsSmoothly: return "drop many"
            case .reorderingDegradesSmoothly: return "reorder"
            case .gradientFromShortPaths: return "short paths"
            }
        }
    }

    /// The thresholds, as shares of the way to chance unless said otherwise.
    public enum Threshold {
        /// Median damage of removing one non-downsampling block. Veit et al.'s ResNet-110: about
        /// 0.01; their plain VGG net: about 1.
        public static let medianSingleRemoval = 0.05
        /// Worst damage of removing one block: more than any removal in Veit et al.'s ResNet-110,
        /// downsampling blocks included (about 0.17), means the network has an essential block.
        public static let worstSingleRemoval = 0.25
        /// Largest rise of mean error from k − 1 to k removed blocks. Veit et al.'s ResNet-110:
        /// about 0.03 per block up to k = 20; a plain net: about 1 at k = 1.
        public static let largestDropManyStep = 0.25
        /// Pearson correlation of an order's error with its Kendall τ, at most.
        public static let reorderCorrelation = -0.5
        /// Mean damage of the mildest reorder (the fewest swaps), at most.
        public static let mildestReorder = 0.25
        /// Damage under which reordering counts as harmless whatever the correlation (which is
        /// then only noise).
        public static let harmlessReorder = 0.05
    }

    public struct Finding: Sendable, Encodable {
        public var criterion: Criterion
        public var outcome: Outcome
        /// The numbers behind the outcome, by name.
        public var numbers: [String: Double]
        /// The numbers and the rule, in words.
        public var because: String
    }

    public var network: String
    /// The network's group in a several-network results file; nil in a one-network file.
    public var group: String?
    public var findings: [Finding]
    public var overall: Overall

    /// Judges one network of a results file. `control` is a plain network of the same file, if
    /// any: its single-removal damage is quoted beside this network's.
    public init(_ results: StudyResults.NetworkResults, control: StudyResults.NetworkResults? = nil) {
        network = results.name
        group = results.group
        let lesions = [Verdict.singleRemovals(results, control: control), Verdict.dropMany(results), Verdict.reorder(results)]
        if let why = Verdict.atChance(results) {
            // The lesions measured cannot be judged, and without Veit et al.'s defining test no overall either.
            findings = lesions.map { $0.outcome == .notMeasured ? $0 : Verdict.notMeasured($0.criterion, why) }
                + [Verdict.gradients(results)]
            overall = .notMeasured
        } else {
            findings = lesions + [Verdict.gradients(results)]
            overall = Verdict.overall(findings)
        }
    }

    /// Every network of a results file, with the first plain network as the control.
    public static func judge(_ results: StudyResults) -> [Verdict] {
        let control = results.networks.first(where: \.isPlain)
        return results.networks.map { Verdict($0, control: control?.name == $0.name ? nil : control) }
    }

    static func overall(_ findings: [Finding]) -> Overall {
        let measured = findings.filter { $0.outcome != .notMeasured }
        guard !measured.isEmpty else { return .notMeasured }
        if measured.allSatisfy({ $0.outcome == .pass }) { return .ensembleLike }
        // Veit et al.'s defining test is the first: a network that fails it is no ensemble.
        let score = measured.map { $0.outcome == .pass ? 1.0 : $0.outcome == .partly ? 0.5 : 0 }.reduce(0, +)
        if findings[0].outcome == .fail || score < Double(measured.count) / 2 { return .notEnsembleLike }
        return .partlyEnsembleLike
    }

    /// Why no lesion of this network can be judged, if none can: the intact network is not
    /// clearly better than chance (`Chance`), so damage has no scale.
    static func atChance(_ r: StudyResults.NetworkResults) -> String? {
        guard let intact = r.intactError, let classes = r.classes,
              let numbers = Chance.unbeaten(error: intact, classes: classes, images: r.intactImages) else { return nil }
        return "the intact network is not better than chance on these images (\(numbers)), so damage, a share of "
            + "the way to chance, has no scale; " + Chance.advice
    }

    /// How far `error` is from `intact` toward chance.
    static func damage(_ error: Double, intact: Double, classes: Int) -> Double {
        let chance = Chance.error(classes: classes)
        return (error - intact) / max(chance - intact, 1e-9)
    }

    static func notMeasured(_ criterion: Criterion, _ why: String) -> Finding {
        Finding(criterion: criterion, outcome: .notMeasured, numbers: [:], because: why)
    }

    static func points(_ x: Double) -> String { String(format: "%+.1f points", x * 100) }
    static func share(_ x: Double) -> String { String(format: "%.2f", x) }

    /// Median and worst damage of removing one non-downsampling block.
    static func singleRemovalDamage(_ r: StudyResults.NetworkResults) -> (median: Double, worst: Double, worstBlock: Int,
                                                                         medianPoints: Double, worstPoints: Double)? {
        guard let drop = r.dropOne, let intact = r.intactError, let classes = r.classes else { return nil }
        let rows = zip(drop.x, drop.y).filter { !r.downsampling.contains(Int($0.0)) }
        guard !rows.isEmpty else { return nil }
        let damages = rows.map { damage($0.1, intact: intact, classes: classes) }.sorted()
        let points = rows.map { $0.1 - intact }.sorted()
        let worst = rows.max { $0.1 < $1.1 }!
        return (median(damages), damages.last!, Int(worst.0), median(points), points.last!)
    }

    /// Why a criterion has no numbers: its experiment is unfinished, or absent.
    static func missing(_ r: StudyResults.NetworkResults, _ experiment: String, otherwise: String) -> String {
        guard let unfinished = r.unfinished.first(where: { $0.experiment == experiment }) else { return otherwise }
        return "/\(experiment) is unfinished (\(unfinished.done) of \(unfinished.total) work units); run it again with --resume, "
            + "or merge its shards"
    }

    /// The median and worst single-removal damage taken at the low and at the high end of each
    /// removal's paired 95% interval: how far the two numbers could move with other images.
    static func singleRemovalBand(_ r: StudyResults.NetworkResults) -> (medianLow: Double, medianHigh: Double,
                                                                       worstLow: Double, worstHigh: Double)? {
        guard let drop = r.plainDropOne, let intact = r.intactError, let classes = r.classes else { return nil }
        let kept = drop.blocks.indices.filter { !r.downsampling.contains(Int(drop.blocks[$0])) }
        guard !kept.isEmpty else { return nil }
        let lows = kept.map { damage(drop.low[$0], intact: intact, classes: classes) }.sorted()
        let highs = kept.map { damage(drop.high[$0], intact: intact, classes: classes) }.sorted()
        return (median(lows), median(highs), lows.last!, highs.last!)
    }

    /// An outcome the sampling could flip is still given, but said to be unsettled: the clause
    /// naming each number whose band, over `whose` 95% intervals, spans its threshold; else "".
    static func unsettled(over whose: String, images: Int?,
                          _ bands: [(what: String, low: Double, high: Double, threshold: Double)]) -> String {
        let spans = bands.filter { $0.low <= $0.threshold && $0.threshold < $0.high }
            .map { "\($0.what) from \(share($0.low)) to \(share($0.high)) spans \(share($0.threshold))" }
        guard !spans.isEmpty else { return "" }
        return "; unsettled: over \(whose) 95% intervals" + (images.map { " on \($0) images" } ?? "")
            + ", " + spans.joined(separator: " and ") + ", so more images could change the outcome"
    }

    static func singleRemovals(_ r: StudyResults.NetworkResults, control: StudyResults.NetworkResults?) -> Finding {
        let criterion = Criterion.singleRemovalsMild
        guard let d = singleRemovalDamage(r) else {
            return notMeasured(criterion, missing(r, "drop_one", otherwise: "no drop-one results for blocks that keep the shape"))
        }
        func judged(_ median: Double, _ worst: Double) -> Outcome {
            median > Threshold.medianSingleRemoval ? .fail : worst > Threshold.worstSingleRemoval ? .partly : .pass
        }
        let outcome = judged(d.median, d.worst)
        var numbers = ["median_damage": d.median, "worst_damage": d.worst, "worst_block": Double(d.worstBlock),
                       "median_delta_error": d.medianPoints, "worst_delta_error": d.worstPoints]
        var because = "median Δerror \(points(d.medianPoints)) (damage \(share(d.median)), ≤ \(share(Threshold.medianSingleRemoval)) to pass); "
            + "worst \(points(d.worstPoints)) at block \(d.worstBlock) (damage \(share(d.worst)), ≤ \(share(Threshold.worstSingleRemoval)))"
        if let band = singleRemovalBand(r) {
            numbers["median_damage_low"] = band.medianLow; numbers["median_damage_high"] = band.medianHigh
            numbers["worst_damage_low"] = band.worstLow; numbers["worst_damage_high"] = band.worstHigh
            // Damage only worsens the outcome, so the two ends bound it.
            if judged(band.medianLow, band.worstLow) != judged(band.medianHigh, band.worstHigh) {
                because += unsettled(over: "the removals'", images: r.intactImages, [
                    ("the median", band.medianLow, band.medianHigh, Threshold.medianSingleRemoval),
                    ("the worst", band.worstLow, band.worstHigh, Threshold.worstSingleRemoval)])
            }
        }
        if let control, !r.isPlain, atChance(control) == nil, let c = singleRemovalDamage(control) {
            numbers["control_median_damage"] = c.median
            because += "; the plain control \(control.name): median damage \(share(c.median))"
        }
        return Finding(criterion: criterion, outcome: outcome, numbers: numbers, because: because)
    }

    static func dropMany(_ r: StudyResults.NetworkResults) -> Finding {
        let criterion = Criterion.damageGrowsSmoothly
        guard let many = r.dropMany, let intact = r.intactError, let classes = r.classes, !many.k.isEmpty else {
            return notMeasured(criterion, missing(r, "drop_many", otherwise: "no drop-many results"))
        }
        let errors = [intact] + many.mean
        let steps = zip(errors, errors.dropFirst()).map { damage($1, intact: intact, classes: classes) - damage($0, intact: intact, classes: classes) }
        let largest = steps.indices.max { steps[$0] < steps[$1] }!
        let k = Int(many.k[largest])
        let outcome: Outcome = steps[largest] > Threshold.largestDropManyStep ? .fail : .pass
        return Finding(criterion: criterion, outcome: outcome,
                       numbers: ["largest_step": steps[largest], "at_k": Double(k), "max_k": many.k.last!],
                       because: "largest rise of the mean error is at k = \(k) (\(share(steps[largest])) of the way to chance, "
                           + "≤ \(share(Threshold.largestDropManyStep)) to pass), over k = 1…\(Int(many.k.last!))")
    }

    static func reorder(_ r: StudyResults.NetworkResults) -> Finding {
        let criterion = Criterion.reorderingDegradesSmoothly
        guard let orders = r.reorder, let swaps = r.reorderSwaps, let intact = r.intactError, let classes = r.classes,
              orders.x.count > 2 else { return notMeasured(criterion, missing(r, "reorder", otherwise: "no reorder results")) }
        let correlation = pearson(orders.x, orders.y)
        let fewest = swaps.dropFirst().min() ?? 1
        let mildest = zip(swaps, orders.y).dropFirst().filter { $0.0 == fewest }.map { damage($0.1, intact: intact, classes: classes) }
        let mildestDamage = mildest.reduce(0, +) / Double(max(mildest.count, 1))
        let worst = orders.y.dropFirst().map { damage($0, intact: intact, classes: classes) }.max() ?? 0
        var numbers = ["correlation": correlation, "mildest_damage": mildestDamage, "worst_damage": worst]
        let correlates = correlation <= Threshold.reorderCorrelation
        func judged(_ worst: Double, _ mildest: Double) -> Outcome {
            worst <= Threshold.harmlessReorder || (correlates && mildest <= Threshold.mildestReorder) ? .pass : .fail
        }
        // The same two numbers at either end of each order's paired 95% interval.
        var band = ""
        if let interval = r.reorderInterval, interval.low.count == swaps.count, interval.high.count == swaps.count {
            func ends(_ bound: [Double]) -> (mildest: Double, worst: Double) {
                let damages = bound.dropFirst().map { damage($0, intact: intact, classes: classes) }
                let mildest = zip(swaps.dropFirst(), damages).filter { $0.0 == fewest }.map(\.1)
                return (mildest.reduce(0, +) / Double(max(mildest.count, 1)), damages.max() ?? 0)
            }
            let (low, high) = (ends(interval.low), ends(interval.high))
            numbers["mildest_damage_low"] = low.mildest; numbers["mildest_damage_high"] = high.mildest
            numbers["worst_damage_low"] = low.worst; numbers["worst_damage_high"] = high.worst
            // Damage only worsens the outcome, so the two ends bound it; the mildest order
            // decides only where the correlation passes.
            if judged(low.worst, low.mildest) != judged(high.worst, high.mildest) {
                band = unsettled(over: "the orders'", images: r.intactImages, [
                    ("the worst", low.worst, high.worst, Threshold.harmlessReorder),
                ] + (correlates ? [("the mildest", low.mildest, high.mildest, Threshold.mildestReorder)] : []))
            }
        }
        if worst <= Threshold.harmlessReorder {
            return Finding(criterion: criterion, outcome: .pass, numbers: numbers,
                           because: "no order costs more than \(share(worst)) of the way to chance (≤ \(share(Threshold.harmlessReorder)): "
                               + "harmless, so the correlation with Kendall τ, \(String(format: "%.2f", correlation)), is only noise)" + band)
        }
        return Finding(criterion: criterion, outcome: judged(worst, mildestDamage), numbers: numbers,
                       because: "correlation of error with Kendall τ \(String(format: "%.2f", correlation)) "
                           + "(≤ \(String(format: "%.1f", Threshold.reorderCorrelation)) to pass); \(Int(fewest)) swap"
                           + (fewest == 1 ? "" : "s") + " cost \(share(mildestDamage)) of the way to chance "
                           + "(≤ \(share(Threshold.mildestReorder)))" + band)
    }

    static func gradients(_ r: StudyResults.NetworkResults) -> Finding {
        let criterion = Criterion.gradientFromShortPaths
        guard let effective = r.effectiveLengths, let shares = r.pathShares else {
            return notMeasured(criterion, missing(r, "grads_exact", otherwise: "no gradient-by-length results"))
        }
        let paths = shares.y.filter { $0 > 0 }.count
        guard paths > 1 else {
            return Finding(criterion: criterion, outcome: .fail, numbers: ["paths": 1],
                           because: "the network has one path: there is no ensemble of paths to draw on")
        }
        let mean = zip(shares.x, shares.y).map { $0 * $1 }.reduce(0, +)
        let share = shares.y.indices.filter { effective.contains($0) }.map { shares.y[$0] }.reduce(0, +)
        let outcome: Outcome = Double(effective.upperBound) < mean ? .pass : .fail
        return Finding(criterion: criterion, outcome: outcome,
                       numbers: ["effective_low": Double(effective.lowerBound), "effective_high": Double(effective.upperBound),
                                 "mean_path_length": mean, "share_of_paths": share],
                       because: "90% of the gradient comes from paths of \(effective.lowerBound)–\(effective.upperBound) blocks, "
                           + String(format: "%.2f%%", share * 100) + " of all paths; the mean path is "
                           + String(format: "%.1f", mean) + " blocks (the longest effective path must be shorter to pass)")
    }

    static func median(_ sorted: [Double]) -> Double {
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        let (mx, my) = (x.reduce(0, +) / n, y.reduce(0, +) / n)
        let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
        let syy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}
