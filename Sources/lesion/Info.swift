import ArgumentParser
import Foundation
import Nets

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's architecture: numbered blocks, parameters and cost.",
        discussion: """
            Blocks are numbered from 0 in the order they run; these numbers are what the \
            experiments drop and reorder. Downsampling blocks (which change the shape) are marked.

            Example:
              lesion info resnet56.h5 --json
            """)

    @Argument(help: "An Unravel model file.")
    var model: String

    @Flag(help: "Print machine-readable JSON on stdout.")
    var json = false

    func run() throws {
        let network = try ModelFile.load(model)
        let summary = network.summary
        if json { return try printJSON(summary) }
        print(InfoText.render(summary))
    }
}

enum InfoText {
    static func render(_ s: NetworkSummary) -> String {
        var lines = [
            s.name,
            "input \(s.input[2])x\(s.input[0])x\(s.input[1]) (CxHxW), \(s.classes) classes",
            "\(grouped(s.parameters)) parameters, \(String(format: "%.3f", Double(s.macs) / 1e9)) GMAC per image",
            "preprocessing: \(s.preprocessing)",
        ] + s.trainedWith.map { "trained with \($0)" }
          + (s.batchNormFolded ? ["batch norm folded into the convolutions by the export: no statistics to re-estimate"] : [])
          + (s.groupNorm ? ["group norm: normalised per image, with no statistics to re-estimate"] : []) + [
            "\(s.blocks.count) blocks (* = downsampling):",
        ]
        var table = TextColumns(["# ", "name", "stage", "kind", "form", "shortcut", "output", "params"],
                                [.right, .left, .right, .left, .left, .left, .left, .right])
        for b in s.blocks {
            let gate = b.channelGate.map { ["+\($0.rawValue)"] } ?? []
            let form = (b.preactivation ? ["pre-act"] : []) + [b.form].compactMap { $0 } + gate
            table.append(["\(b.index)" + (b.downsampling ? "*" : " "), b.name, "\(b.stage)", b.kind, form.joined(separator: " "), b.shortcut,
                          "\(b.output[2])x\(b.output[0])x\(b.output[1])", grouped(b.parameters)])
        }
        lines += table.lines()
        return lines.joined(separator: "\n")
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }
}
