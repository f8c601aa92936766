import Foundation

/// The self-contained HTML report of a results file: the verdict, then Veit et al.'s figures for
/// this run as inline SVG (ReportFigures), then the provenance. No scripts, no network access.
public enum ReportPage {
    public static func html(_ results: StudyResults) -> String {
        let networks = results.networks
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Unravel report: \(escape((results.path as NSString).lastPathComponent))</title>
            <style>
            body { font-family: sans-serif; max-width: 1180px; margin: 24px auto; padding: 0 12px; color: #222; }
            .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 18px; }
            figure { margin: 0; border: 1px solid #ddd; padding: 8px; } figcaption { font-size: 12px; color: #555; }
            table { border-collapse: collapse; font-size: 12px; } td, th { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
            table.verdict { font-size: 13px; margin-bottom: 6px; } table.verdict small { color: #444; }
            .yes { background: #e3f2e1; } .partly { background: #fbf1d9; } .no { background: #f8e1e1; } .unmeasured { color: #888; }
            p.criteria { font-size: 12px; color: #555; max-width: 1180px; }
            p.unfinished { background: #fbf1d9; border: 1px solid #e0c97a; padding: 6px 10px; }
            table.pictures td { text-align: center; } table.pictures svg { display: block; margin: auto; }
            </style></head><body>
            <h1>Do these residual networks behave like ensembles?</h1>
            <p>Unravel's measurements for \(escape(results.path)), after Veit, Wilber &amp; Belongie,
            <i>Residual Networks Behave Like Ensembles of Relatively Shallow Networks</i>, NeurIPS 2016.</p>

            """
        if let note = results.unfinishedNote { page += "<p class=\"unfinished\"><b>\(escape(note)).</b></p>\n" }
        page += VerdictSection.html(Verdict.judge(results))
        page += "<h2>The figures</h2>\n<div class=\"grid\">\n"
        for figure in ReportFigures.all(results) {
            page += "<figure id=\"\(figure.name)\">\(figure.svg)<figcaption>\(escape(figure.caption))</figcaption></figure>\n"
        }
        page += "</div>\n" + PathPictures.html(networks)
        page += "<h2>Provenance</h2>\n<table>\n"
        // Files written before each network's model was kept off the root name the last one there.
        let severalNetworks = networks.count > 1
        for (key, value) in results.attributes where !(severalNetworks && ["model", "model_sha256"].contains(key)) {
            page += "<tr><th>\(escape(key))</th><td>\(escape(value))</td></tr>\n"
        }
        page += "</table>\n"
        for n in networks where !n.attributes.isEmpty {
            page += "<h3>\(escape(n.name))</h3>\n<table>\n"
            for (key, value) in n.attributes where key != "block_names" && key != "block_kinds" {
                page += "<tr><th>\(escape(key))</th><td>\(escape(value))</td></tr>\n"
            }
            if let error = n.intactError { page += "<tr><th>intact error</th><td>\(String(format: "%.2f%%", error * 100))</td></tr>\n" }
            page += "</table>\n"
        }
        return page + "</body></html>\n"
    }
}
