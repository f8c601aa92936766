import ArgumentParser
import Foundation
import HDF5
import Nets

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write every image's logits (and input gradients) to an HDF5 file.",
        discussion: """
            The parity check to run after exporting a model: compare these logits with your \
            framework's. With --input-gradients it also writes the gradient of each image's \
            cross-entropy with respect to the preprocessed input, as (N, C, H, W).

            The file is written as OUT.partial and renamed when complete.

            Example:
              lesion predict resnet56.h5 test.h5 -o predictions.h5 --input-gradients
            """)

    @Argument(help: "An Unravel model file.") var model: String
    @Argument(help: "An Unravel dataset file.") var data: String
    @Option(name: .shortAndLong, help: "The HDF5 file to write.") var output: String
    @Flag(help: "Also write d(cross-entropy)/d(input) for every image.") var inputGradients = false
    @Flag(help: "Replace OUTPUT if it exists.") var force = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        compute.apply()
        try refuseToReplace(output, force: force)
        let network = try ModelFile.load(model)
        let dataset = try DatasetFile(data)
        try dataset.check(fits: network.architecture)
        let batches = compute.batches(of: dataset.count)
        let progress = Progress("predict", total: batches.last?.upperBound ?? 0, quiet: compute.quiet)
        // Written beside OUTPUT and renamed when complete: a reader sees the old file or the whole new one.
        try File.writeWhole(output) { file in
            let root = try file.root
            try root.setAttribute("model", model)
            try root.setAttribute("data", data)
            try root.setAttribute("tool_version", UnravelVersion.string)
            try root.setAttribute("arithmetic", Arithmetic.current)
            let classes = network.architecture.classes
            let (c, h, w) = (dataset.channels, dataset.height, dataset.width)
            let logits = try root.createDataset("logits", shape: [0, classes], values: [Float](), options: .appendable)
            let labels = try root.createDataset("labels", shape: [0], values: [Int64](), options: .appendable)
            let predictions = try root.createDataset("predictions", shape: [0], values: [Int64](), options: .appendable)
            let gradients = inputGradients
                ? try root.createDataset("input_gradients", shape: [0, c, h, w], values: [Float](),
                                         options: DatasetOptions(chunks: [8, c, h, w], extendable: true))
                : nil
            for range in batches {
                let (images, batchLabels) = try dataset.batch(range, preprocessing: network.architecture.preprocessing)
                let batchLogits: Tensor
                if let gradients {
                    let (l, g) = try network.inputGradient(images, target: .crossEntropy(labels: batchLabels))
                    batchLogits = l
                    try gradients.appendRows(Layout.nchw(g))
                } else {
                    batchLogits = try network.forward(images)
                }
                try logits.appendRows(batchLogits.values)
                try labels.appendRows(batchLabels.map { Int64($0) })
                try predictions.appendRows(Loss.predictions(batchLogits).map { Int64($0) })
                try file.flush()
                progress.advance(by: range.count)
            }
        }
        progress.finish()
    }
}
