import Foundation
import HDF5
import XCTest
@testable import Nets

/// Keras files written by Keras itself (notebooks-export/make_keras_fixtures.py), against Keras'
/// own predictions; and every kind of unsupported or damaged Keras file.
final class KerasTests: XCTestCase {
    private var folder = TemporaryFolder("keras")

    private func keras(_ name: String) -> String { fixture("keras/\(name)") }

    func testEveryFormatMatchesKerasPredictions() throws {
        for model in ["resnet20", "preact20"] {
            let expected = try File.open(keras("\(model).expected.h5")).root
            let data = try expected.dataset("input_nhwc")
            let input = Tensor(shape: try data.shape, values: try data.read(as: Float.self))
            let predictions = try expected.dataset("logits").read(as: Float.self)
            // deflated.keras: the archive re-zipped by Python's zipfile with ZIP_DEFLATED.
            for format in ["h5", "weights.h5", "keras"] + (model == "preact20" ? ["deflated.keras"] : []) {
                let network = try ModelFile.load(keras("\(model).\(format)"))
                XCTAssertEqual(network.blockCount, 9, "\(model).\(format)")
                XCTAssertEqual(network.downsamplingBlocks, [3, 6])
                assertClose(try network.forward(input).values, predictions, "\(model).\(format) logits")
            }
        }
    }

    func testBlocksAreFoundFromTheAddNodes() throws {
        let post = try ModelFile.load(keras("resnet20.keras"))
        XCTAssertTrue(post.architecture.blocks.allSatisfy { $0.mergeReLU && $0.kind == .residual })
        XCTAssertEqual(post.architecture.blocks.map(\.shortcut.kind), [.identity, .identity, .identity, .projection, .identity,
                                                                       .identity, .projection, .identity, .identity])
        XCTAssertEqual(post.architecture.blocks.map(\.stage), [1, 1, 1, 2, 2, 2, 3, 3, 3])
        let pre = try ModelFile.load(keras("preact20.keras"))
        XCTAssertFalse(pre.architecture.blocks.contains { $0.mergeReLU })
        XCTAssertEqual(pre.architecture.blocks[3].shortcutFrom, .preact, "the projection reads the pre-activated input")
        XCTAssertEqual(pre.architecture.blocks[3].preact.map(\.op), [.batchnorm, .relu])
        // Keras' asymmetric 'same' padding for stride 2 on even input: nothing top/left, one row/column bottom/right.
        XCTAssertEqual(post.architecture.blocks[3].branch[0].padding, [0, 0, 1, 1])
    }

    /// Max poolings whose padding differs by side: the stem's 'same' pooling pads an even map
    /// with -infinity after it only; ZeroPadding2D(((0, 1), (0, 1))) before a pooling pads with zeros.
    func testMaxPoolingPaddedOnOneSideMatchesKeras() throws {
        let network = try ModelFile.load(keras("stem_pool.keras"))
        let pools = (network.architecture.stem + network.architecture.head).filter { $0.op == .maxpool }
        XCTAssertEqual(pools.map(\.padding), [[0, 0, 1, 1], [0, 0, 1, 1]])
        XCTAssertEqual(pools.map { $0.zeroPadded ?? false }, [false, true])
        XCTAssertEqual(network.blockCount, 2)
        let expected = try File.open(keras("stem_pool.expected.h5")).root
        let data = try expected.dataset("input_nhwc")
        let input = Tensor(shape: try data.shape, values: try data.read(as: Float.self))
        assertClose(try network.forward(input).values, try expected.dataset("logits").read(as: Float.self), "stem_pool logits")
    }

    /// Squeeze-excitation as Keras users write it: global pooling, Dense relu, Dense sigmoid,
    /// Reshape to (1, 1, C), Multiply. The Reshape was refused ("this layer class cannot be
    /// mapped"); it is the gate viewed as a 1x1 map.
    func testSqueezeExcitationOfDenseLayersMatchesKeras() throws {
        let network = try ModelFile.load(keras("se_block.keras"))
        XCTAssertEqual(network.blockCount, 2)
        XCTAssertEqual(network.architecture.blocks.map { $0.branch.contains { $0.op == .squeezeExcitation } }, [true, true])
        let expected = try File.open(keras("se_block.expected.h5")).root
        let data = try expected.dataset("input_nhwc")
        let input = Tensor(shape: try data.shape, values: try data.read(as: Float.self))
        assertClose(try network.forward(input).values, try expected.dataset("logits").read(as: Float.self), "se_block logits")
    }

    func testLessonOnlyRunsOnWhatItConverted() throws {
        let network = try ModelFile.load(keras("resnet20.h5"))
        let expected = try File.open(keras("resnet20.expected.h5")).root
        let data = try expected.dataset("input_nhwc")
        let input = Tensor(shape: try data.shape, values: try data.read(as: Float.self))
        // Removing a block works on converted Keras models like on any other.
        XCTAssertEqual(try network.forward(input, options: RunOptions(dropped: [4])).shape, [4, 10])
    }

    private func copy(_ name: String, as target: String) throws -> String {
        let path = folder.appendingPathComponent(target).path
        try FileManager.default.copyItem(atPath: keras(name), toPath: path)
        return path
    }

    private func assertFails(_ path: String, mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelFile.load(path), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "«\(error)» does not mention «\(text)»", file: file, line: line)
        }
    }

    func testAWeightsFileWithoutItsArchitectureIsAClearError() throws {
        let path = try copy("resnet20.weights.h5", as: "lonely.weights.h5")
        assertFails(path, mentioning: "a Keras weights file holds no architecture; put lonely.keras or lonely.config.json")
        _ = try copy("resnet20.config.json", as: "lonely.config.json")
        XCTAssertEqual(try ModelFile.load(path).blockCount, 9, "with its config beside it, it loads")
    }

    private func withConfig(_ edit: (String) -> String) throws -> String {
        let stem = "edited\(UUID().uuidString.prefix(6))"
        let path = try copy("resnet20.weights.h5", as: "\(stem).weights.h5")
        let config = try String(contentsOfFile: keras("resnet20.config.json"), encoding: .utf8)
        try edit(config).write(toFile: folder.appendingPathComponent("\(stem).config.json").path, atomically: true, encoding: .utf8)
        return path
    }

    func testUnsupportedLayersAreNamedWithTheirClass() throws {
        assertFails(try withConfig { $0.replacingOccurrences(of: "\"activation\": \"relu\"", with: "\"activation\": \"tanh\"") },
                    mentioning: "layer 'activation' (Activation): activation 'tanh' is not supported")
        assertFails(try withConfig { $0.replacingOccurrences(of: "\"class_name\": \"GlobalAveragePooling2D\"", with: "\"class_name\": \"GlobalMaxPooling2D\"") },
                    mentioning: "layer 'global_average_pooling2d' (GlobalMaxPooling2D): this layer class cannot be mapped")
        assertFails(try withConfig { $0.replacingOccurrences(of: "\"class_name\": \"Functional\"", with: "\"class_name\": \"Sequential\"") },
                    mentioning: "a Keras Sequential model; only functional models")
        assertFails(try withConfig { _ in "{not json" }, mentioning: "the Keras model config is not valid JSON")
    }

    /// Keras 2 names its weights "conv2d/kernel:0": the same file with those names reads the same.
    func testKeras2WeightNamesWithTheColonZeroSuffix() throws {
        let path = try copy("resnet20.h5", as: "keras2.h5")
        do {
            let weights = try File.open(path, .readWrite).root.group("model_weights")
            for (layer, kind) in try weights.members() where kind == .group {
                let group = try weights.group(layer)
                let names = try group.stringArrayAttribute("weight_names")
                guard !names.isEmpty else { continue }
                for name in names {
                    let values = try group.dataset(name).read(as: Float.self)
                    let shape = try group.dataset(name).shape
                    try group.remove(name)
                    try group.createDataset(name + ":0", shape: shape, values: values)
                }
                try group.setAttribute("weight_names", names.map { $0 + ":0" }, form: .fixed(utf8: false))
            }
        }
        let original = try ModelFile.load(keras("resnet20.h5"))
        let renamed = try ModelFile.load(path)
        var random = Seeded(5)
        let input = Tensor(shape: [2, 32, 32, 3], values: random.floats(2 * 32 * 32 * 3))
        XCTAssertEqual(try renamed.forward(input).values, try original.forward(input).values)
    }

    func testDamagedKerasArchivesAreClearErrors() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: keras("resnet20.keras")))
        let truncated = folder.appendingPathComponent("truncated.keras")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        assertFails(truncated.path, mentioning: "not a zip archive")
        let missing = folder.appendingPathComponent("nothing.keras")
        var damaged = bytes
        // Rename config.json in the central directory: the archive then lacks it.
        if let range = damaged.lastRange(of: Data("config.json".utf8)) { damaged.replaceSubrange(range, with: Data("confiG.json".utf8)) }
        try damaged.write(to: missing)
        assertFails(missing.path, mentioning: "the archive has no config.json")
        // A flipped byte inside a deflated member: its CRC-32 no longer matches.
        var corrupt = try Data(contentsOf: URL(fileURLWithPath: keras("preact20.deflated.keras")))
        let middle = corrupt.count / 2
        corrupt[middle] ^= 0xFF
        let flipped = folder.appendingPathComponent("flipped.keras")
        try corrupt.write(to: flipped)
        assertFails(flipped.path, mentioning: "cannot be read")
    }
}
