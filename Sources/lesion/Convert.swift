import ArgumentParser
import Foundation
import Nets

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a Keras model, or a model file holding a layer graph, with its blocks found.",
        discussion: """
            Every lesion command reads Keras files (.h5, .weights.h5, .keras) and the layer graphs \
            that export_pytorch.py writes directly; converting once saves the parsing and records \
            the blocks Unravel found (see them with `lesion info`).

            Examples:
              lesion convert resnet50.keras -o resnet50.h5
              lesion convert resnet18d.h5 -o resnet18d-blocks.h5
            """)

    @Argument(help: "A Keras model file, or an Unravel model file.") var keras: String
    @Option(name: .shortAndLong, help: "The Unravel model file to write.") var output: String
    @Flag(help: "Replace OUTPUT if it exists.") var force = false

    func run() throws {
        try refuseToReplace(output, force: force)
        let (architecture, weights) = try ModelFile.read(keras)
        _ = try Network(architecture, weights: weights)   // refuse to write what cannot run
        try ModelFile.write(output, architecture: architecture, weights: weights, source: "converted from \(keras)", overwrite: force)
        print("wrote \(output): \(architecture.blocks.count) blocks")
    }
}
