/// The report's first section: the verdict per network and criterion, with the numbers behind
/// each outcome and the rules written out.
enum VerdictSection {
    static func html(_ verdicts: [Verdict]) -> String {
        guard !verdicts.isEmpty else { return "" }
        var html = "<h2>The answer</h2>\n<table class=\"verdict\">\n<tr><th>network</th>"
        for criterion in Verdict.Criterion.allCases { html += "<th>\(escape(criterion.rawValue))</th>" }
        html += "<th>overall</th></tr>\n"
        for verdict in verdicts {
            html += "<tr><th>\(escape(verdict.network))</th>"
            for finding in verdict.findings {
                html += "<td class=\"\(cssClass(finding.outcome))\"><b>\(escape(finding.outcome.rawValue))</b>"
                    + "<br><small>\(escape(finding.because))</small></td>"
            }
            html += "<td class=\"\(cssClass(verdict.overall))\"><b>\(escape(verdict.overall.rawValue))</b></td></tr>\n"
        }
        html += "</table>\n<p class=\"criteria\">\(escape(criteria))</p>\n"
        return html
    }

    /// The rules, as docs/verdict.md states and justifies them.
    static var criteria: String {
        typealias T = Verdict.Threshold
        func f(_ x: Double) -> String { String(format: "%g", x) }
        return "Damage is a share of the way from the intact error to chance (1 − 1/classes). "
            + "Single removals are mild when removing one non-downsampling block costs a median damage of at most "
            + "\(f(T.medianSingleRemoval)) (partly: the median passes, but one block costs more than \(f(T.worstSingleRemoval))). "
            + "Damage grows smoothly when no step from k − 1 to k removed blocks raises the mean error by more than "
            + "\(f(T.largestDropManyStep)). Reordering degrades smoothly when error correlates with Kendall τ at "
            + "\(f(T.reorderCorrelation)) or below and the fewest swaps cost at most \(f(T.mildestReorder)), or when no "
            + "order costs more than \(f(T.harmlessReorder)). The gradient comes from short paths when the range of "
            + "lengths carrying 90% of it ends below the mean path length. A network is ensemble-like when it passes "
            + "every criterion measured, and not ensemble-like when it fails the first or scores under half "
            + "(partly counts half). Thresholds are set from Veit et al.'s figures: docs/verdict.md in Unravel says how."
    }

    static func cssClass(_ outcome: Verdict.Outcome) -> String {
        switch outcome {
        case .pass: return "yes"
        case .partly: return "partly"
        case .fail: return "no"
        case .notMeasured: return "unmeasured"
        }
    }

    static func cssClass(_ overall: Verdict.Overall) -> String {
        switch overall {
        case .ensembleLike: return "yes"
        case .partlyEnsembleLike: return "partly"
        case .notEnsembleLike: return "no"
        case .notMeasured: return "unmeasured"
        }
    }
}
