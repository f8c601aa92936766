import Analysis
import ArgumentParser
import Foundation
import Nets

/// Runs representation probes as one command: the study's checks, one pass over DATA (after
/// the fitting pass of the probes that need one), their progress saved as it goes.
func runProbes(_ kinds: [ProbeKind], study: StudyOptions, options: ProbeOptions, against: String? = nil, gradientImages: Int? = nil, label: String) throws {
    guard study.shard == nil else {
        throw ValidationError("--shard splits lesion experiments into work units; the probes run whole (leave it out)")
    }
    let (opened, _, probes) = try study.run([], label: label, groupIDs: kinds.map(\.groupID)) { network, batchCount in
        let other = try against.map { path -> Network in
            let other = try ModelFile.load(path)
            if let refusal = poolingRefusal(other) { throw NetsError("\(path): CKA: \(refusal)") }
            return other
        }
        let batches = gradientImages.map { ($0 + study.batchSize - 1) / study.batchSize }
        return try options.make(kinds, network: network, model: study.model!, data: study.data!, study: study, batchCount: batchCount,
                                against: other, gradientBatches: batches)
    }
    if study.json { return try printJSON(ProbeReport(probes)) }
    ProbeReport.print(probes, network: opened.network)
    print("results: \(study.output)")
}

struct LensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lens",
        abstract: "The logit lens: the network's own head on each block's output.",
        discussion: """
            Each block's output goes through the head (a pre-activation net's final BN-ReLU, \
            global pooling, the linear layer) as if the network ended there. Reported per block: \
            top-1 error, cross-entropy, and agreement with the whole network's prediction.

            Only blocks with the head's channel count can be read. The others are skipped and \
            listed, unless --project fits a ridge map from their pooled output to the last block's \
            (on --train-data, or on a --train-fraction of DATA; all readings then use the held-out \
            images).

            Examples:
              lesion lens resnet56.h5 test.h5 -o results.h5
              lesion lens resnet56.h5 test.h5 -o results.h5 --project --train-data train.h5
            """)

    @OptionGroup var study: StudyOptions
    @OptionGroup var probe: ProbeOptions

    func run() throws {
        try runProbes([.lens], study: study, options: probe, label: "lens")
    }
}

struct ProbeLinearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-linear",
        abstract: "Linear probes per block: the class read linearly from each block's pooled output.",
        discussion: """
            Ridge regression on one-hot targets over globally pooled block outputs, in closed form \
            (one pass, memory by feature width; Alain & Bengio used logistic regression). Fitted \
            on --train-data or on a --train-fraction of DATA drawn per image with --seed; \
            accuracy on the rest.

            Examples:
              lesion probe-linear resnet56.h5 test.h5 -o results.h5 --ridge 1e-2
              lesion probe-linear resnet56.h5 test.h5 -o r.h5 --train-data train.h5
            """)

    @OptionGroup var study: StudyOptions
    @OptionGroup var probe: ProbeOptions

    func run() throws {
        try runProbes([.linear], study: study, options: probe, label: "probe-linear")
    }
}

struct CKACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cka",
        abstract: "Linear CKA between every pair of block outputs (minibatch estimator, unbiased HSIC).",
        discussion: """
            Nguyen, Raghu & Kornblith (2021): per minibatch, the Gram matrix of each block's \
            flattened outputs and the unbiased HSIC of every pair, averaged over minibatches, then \
            normalised. Each minibatch (--batch-size) needs at least 4 images; a smaller last one \
            is left out and counted. --against compares with another network's blocks on the same \
            images.

            Examples:
              lesion cka resnet56.h5 test.h5 -o results.h5 --limit 2048
              lesion cka resnet56.h5 test.h5 -o results.h5 --against plain56.h5
            """)

    @OptionGroup var study: StudyOptions
    @Option(help: ArgumentHelp("Another model file: CKA between this network's blocks (rows) and its (columns).",
                              valueName: "model")) var against: String?

    func validate() throws { try requireCKABatchSize(study.batchSize) }

    func run() throws {
        try runProbes([.cka], study: study, options: ProbeOptions(), against: against, label: "cka")
    }
}

struct InferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Iterative inference: does each branch move its input down the loss gradient?",
        discussion: """
            Jastrzebski et al. (2018). Per block, the cosine between the branch output f(h) and \
            −∂L/∂h at the block's input, and ‖f(h)‖/‖h‖. The loss is each image's cross-entropy, \
            on the first --gradient-images images: the batches `lesion grads` and `lesion study` \
            measure gradients by path length on.

            Example:
              lesion inference resnet56.h5 test.h5 -o results.h5 --gradient-images 512
            """)

    @OptionGroup var study: StudyOptions
    @Option(help: "Images to read (the first N).") var gradientImages = 256

    func validate() throws { try requirePositive(gradientImages, "--gradient-images") }

    func run() throws {
        try runProbes([.inference], study: study, options: ProbeOptions(), gradientImages: gradientImages, label: "inference")
    }
}
