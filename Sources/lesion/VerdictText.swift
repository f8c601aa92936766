import Analysis

/// The verdict table `lesion study` prints last: one row per network, then the numbers behind
/// each outcome.
enum VerdictText {
    static func render(_ verdicts: [Verdict]) -> String {
        var lines = ["verdict: does each network behave like an ensemble of shallow networks? (criteria: docs/verdict.md)"]
        var table = TextColumns(["network"] + Verdict.Criterion.allCases.map(\.shortName) + ["overall"],
                                [.left] + Verdict.Criterion.allCases.map { _ in .left } + [.left])
        for verdict in verdicts {
            table.append([verdict.network] + verdict.findings.map(\.outcome.rawValue) + [verdict.overall.rawValue])
        }
        lines += table.lines()
        for verdict in verdicts {
            lines.append("  \(verdict.network): \(verdict.overall.rawValue)")
            for finding in verdict.findings {
                lines.append("    \(finding.criterion.rawValue): \(finding.outcome.rawValue): \(finding.because)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
