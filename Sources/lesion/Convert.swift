import ArgumentParser
import Foundation
import Nets

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a Keras model (.h5, .weights.h5, .keras) as an Unravel model file.",
        discussion: """
            Every lesion command reads Keras files directly; converting once saves the parsing and
            records the architecture Unravel found (see it with `lesion info`).

            Example:
              lesion convert resnet50.keras -o resnet50.h5
            """)

    @Argument(help: "A Keras model file.") var keras: String
    @Option(name: .shortAndLong, help: "The Unravel model file to write.") var output: String
    @Flag(help: "Replace OUTPUT if it exists.") var force = false

    func run() throws {
        let (architecture, weights) = try reportingBadInput { () -> (Architecture, Weights) in
            guard let read = try KerasModel.readIfKeras(keras) else {
                throw NetsError("\(keras): not a Keras model file (.h5 with model_config, .weights.h5 or .keras)")
            }
            _ = try Network(read.architecture, weights: read.weights)   // refuse to write what cannot run
            return read
        }
        try reportingBadInput {
            try ModelFile.write(output, architecture: architecture, weights: weights, source: "converted from \(keras)", overwrite: force)
        }
        print("wrote \(output): \(architecture.blocks.count) blocks")
    }
}
