import ArgumentParser
import Foundation
import Nets

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a Keras or Caffe model, or a model file holding a layer graph, with its blocks found.",
        discussion: """
            Every lesion command reads Keras files (.h5, .weights.h5, .keras), Caffe prototxts \
            with their weights beside them, and the layer graphs that export_pytorch.py and \
            export_onnx.py write; converting once saves the parsing and records the blocks \
            Unravel found (see them with `lesion info`).

            A Caffe network needs its weights (.caffemodel or .caffemodel.h5) and the pixels' \
            preparation, which its prototxt does not record: --mean (per channel) or \
            --mean-image (Caffe's mean.binaryproto), or --no-mean. Caffe models take BGR pixels \
            in 0-255; datasets in RGB are reordered when read.

            Examples:
              lesion convert resnet50.keras -o resnet50.h5
              lesion convert resnet18d.h5 -o resnet18d-blocks.h5
              lesion convert ResNet-50-deploy.prototxt \\
                --weights ResNet-50-model.caffemodel \\
                --mean-image ResNet_mean.binaryproto -o resnet50.h5
              lesion convert cifar20.prototxt --weights cifar20.caffemodel.h5 \\
                --mean 125.3,123.0,113.9 -o cifar20.h5
            """)

    @Argument(help: "A Keras model file, a Caffe prototxt, or an Unravel model file.") var model: String
    @Option(name: .shortAndLong, help: "The Unravel model file to write.") var output: String
    @OptionGroup(title: "Caffe") var caffe: CaffeOptions
    @Flag(help: "Replace OUTPUT if it exists.") var force = false

    func validate() throws {
        if CaffeModel.isPrototxt(model) {
            try caffe.check()
        } else if caffe.given {
            throw ValidationError("--weights, --mean, --mean-image, --no-mean, --scale and --channel-order apply to a Caffe prototxt")
        }
    }

    func run() throws {
        try refuseToReplace(output, force: force)
        var (architecture, weights): (Architecture, Weights)
        var source = "converted from \(model)"
        if CaffeModel.isPrototxt(model), let path = caffe.weights {
            (architecture, weights) = try CaffeModel.read(prototxt: model, weights: path)
            architecture.preprocessing = try caffe.preprocessing(for: architecture.input)
            source += " with weights \(path)"
        } else {
            (architecture, weights) = try ModelFile.read(model)
        }
        _ = try Network(architecture, weights: weights)   // refuse to write what cannot run
        try ModelFile.write(output, architecture: architecture, weights: weights, source: source, overwrite: force)
        print("wrote \(output): \(architecture.blocks.count) blocks; preprocessing \(architecture.preprocessing.summary)")
    }
}

/// How a Caffe network is read: its weights and its pixels' preparation.
struct CaffeOptions: ParsableArguments {
    @Option(help: "The trained weights: a binary .caffemodel or the solver's .caffemodel.h5.") var weights: String?
    @Option(help: ArgumentHelp("The per-channel mean subtracted from each pixel, in the network's channel order.",
                               valueName: "B,G,R"))
    var mean: String?
    @Option(help: ArgumentHelp("A per-pixel mean: Caffe's mean.binaryproto, centre-cropped to the input.", valueName: "file"))
    var meanImage: String?
    @Flag(help: "Subtract no mean (the network was trained on raw pixels).") var noMean = false
    @Option(help: "Multiply pixels by this before the mean (Caffe's transform_param scale).") var scale: Float = 1
    @Option(help: "The channel order the network was trained on (Caffe's own: BGR).") var channelOrder: ChannelOrder = .BGR

    var given: Bool { weights != nil || mean != nil || meanImage != nil || noMean || scale != 1 || channelOrder != .BGR }

    /// Not `validate()`: ArgumentParser would run that for every input, Keras files included.
    func check() throws {
        guard weights != nil else { throw ValidationError("a Caffe prototxt needs --weights FILE (.caffemodel or .caffemodel.h5)") }
        let declared = [mean != nil, meanImage != nil, noMean].filter { $0 }.count
        guard declared == 1 else {
            throw ValidationError("say how pixels are prepared, exactly once: --mean B,G,R, --mean-image mean.binaryproto, or --no-mean")
        }
        guard scale.isFinite, scale > 0 else { throw ValidationError("--scale must be positive") }
    }

    func preprocessing(for input: InputShape) throws -> Preprocessing {
        var means: [Float] = []
        if let mean {
            let parts = mean.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == input.channels, parts.allSatisfy({ $0?.isFinite == true }) else {
                throw NetsError(.badUsage, "--mean needs \(input.channels) numbers separated by commas, one per input channel; got '\(mean)'")
            }
            means = parts.map { $0! }
        }
        var result = Preprocessing(scale: scale, mean: means, std: [], channelOrder: channelOrder, preset: "caffe")
        if let meanImage {
            let (values, note) = try CaffeModel.meanImage(meanImage, input: input)
            result = Preprocessing(scale: scale, mean: [], std: [], channelOrder: channelOrder, preset: "caffe", meanImage: values)
            printError("lesion: \(note)")
        }
        return result
    }
}

extension ChannelOrder: ExpressibleByArgument {}
