import Foundation
import XCTest
@testable import Nets

/// The one block-finding rule on small hand-written graphs: what it finds, and the errors that
/// name the node, its op and its module.
final class BlockFinderTests: XCTestCase {
    private func conv(_ id: String, _ input: String, module: String? = nil, out: Int = 4, stride: Int = 1, bias: Bool = false) -> GraphNode {
        GraphNode(id: id, layer: .conv(id, out: out, kernel: 3, stride: stride, bias: bias), inputs: [input], module: module ?? id)
    }
    private func node(_ id: String, _ op: GraphNode.Op, _ inputs: String..., module: String? = nil) -> GraphNode {
        GraphNode(id: id, op: op, inputs: inputs, module: module, layer: op == .relu ? .relu : op == .globalAvgPool ? .globalAvgPool : nil)
    }
    private let head = [GraphNode(id: "pool", layer: .globalAvgPool, inputs: ["out"]),
                        GraphNode(id: "fc", layer: .linear("fc", out: 10), inputs: ["pool"])]

    private func find(_ nodes: [GraphNode], plain: [String] = []) throws -> Architecture {
        try BlockFinder(LayerGraph(nodes: nodes, plainBlocks: plain), source: "test.h5")
            .architecture(name: "t", input: InputShape(channels: 3, height: 8, width: 8))
    }

    private func assertFails(_ nodes: [GraphNode], mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try find(nodes), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "«\(error)» does not mention «\(text)»", file: file, line: line)
        }
    }

    /// stem conv → [conv, relu, conv] + x → relu → head.
    private func residual(shortcut: [GraphNode] = [], into: String = "x") -> [GraphNode] {
        [node("x", .input), conv("stem", "x"), node("r0", .relu, "stem", module: ""),
         conv("a", "r0", module: "block.a"), node("ra", .relu, "a", module: "block"), conv("b", "ra", module: "block.b")]
            + shortcut + [node("sum", .add, "b", shortcut.last?.id ?? "r0", module: "block"), node("out", .relu, "sum", module: "block")]
    }

    func testAnAddIsABlockWithTheLongerChainAsItsBranch() throws {
        let arch = try find(residual() + head)
        XCTAssertEqual(arch.stem.map(\.op), [.conv, .relu])
        XCTAssertEqual(arch.blocks.count, 1)
        XCTAssertEqual(arch.blocks[0].name, "block", "named after the module the add ran in")
        XCTAssertEqual(arch.blocks[0].branch.map(\.op), [.conv, .relu, .conv])
        XCTAssertEqual(arch.blocks[0].shortcut.kind, .identity)
        XCTAssertTrue(arch.blocks[0].mergeReLU, "the ReLU after the add is the merge")
        XCTAssertEqual(arch.head.map(\.op), [.globalAvgPool, .linear])
        XCTAssertEqual(arch.classes, 10)
    }

    func testAOneByOneConvolutionAfterThePoolingIsTheClassifier() throws {
        let convHead = [GraphNode(id: "pool", layer: .globalAvgPool, inputs: ["out"]),
                        GraphNode(id: "fc", layer: .conv("fc", out: 7, kernel: 1, bias: true), inputs: ["pool"]),
                        GraphNode(id: "flat", layer: Layer(op: .flatten), inputs: ["fc"])]
        let arch = try find(residual() + convHead)
        XCTAssertEqual(arch.head.map(\.op), [.globalAvgPool, .conv, .flatten])
        XCTAssertEqual(arch.classes, 7, "timm's ResNetV2 writes its classifier so")
        // A convolution before the pooling gives no class scores.
        let noClassifier = [GraphNode(id: "fc", layer: .conv("fc", out: 7, kernel: 1), inputs: ["out"]),
                            GraphNode(id: "pool", layer: .globalAvgPool, inputs: ["fc"])]
        assertFails(residual() + noClassifier, mentioning: "does not end in a linear layer (or a 1x1 convolution on pooled features)")
    }

    func testOptionAFromSubsamplingAndChannelPadding() throws {
        let zeroPad = [node("sub", .subsample, "r0", module: "block.shortcut"),
                       GraphNode(id: "pad", op: .padChannels, inputs: ["sub"], module: "block.shortcut", before: 2, after: 2)]
        let shortcut = try find(residual(shortcut: zeroPad) + head).blocks[0].shortcut
        XCTAssertEqual(shortcut.kind, .zeroPad)
        XCTAssertEqual(shortcut.placement, .split)
        let lopsided = [zeroPad[0], GraphNode(id: "pad", op: .padChannels, inputs: ["sub"], module: "block.shortcut", before: 1, after: 3)]
        assertFails(residual(shortcut: lopsided) + head, mentioning: "node 'pad' (pad_channels) in module 'block.shortcut' puts 1 zero channels before and 3 after")
    }

    func testSqueezeExcitationBecomesOneLayerOfTheBranch() throws {
        var nodes = residual()
        let last = nodes.removeLast(), add = nodes.removeLast()
        nodes += [node("se_pool", .globalAvgPool, "b", module: "block.se"), conv("fc1", "se_pool", module: "block.se.fc1", bias: true),
                  node("se_relu", .relu, "fc1", module: "block.se"), conv("fc2", "se_relu", module: "block.se.fc2", bias: true),
                  node("gate", .sigmoid, "fc2", module: "block.se"), node("scaled", .mul, "b", "gate", module: "block.se")]
        nodes += [node("sum", .add, "scaled", "r0", module: add.module), last]
        let branch = try find(nodes + head).blocks[0].branch
        XCTAssertEqual(branch.map(\.op), [.conv, .relu, .conv, .squeezeExcitation])
        XCTAssertEqual(branch.last?.layers?.map(\.op), [.conv, .relu, .conv])
    }

    func testModulesNamedAsPlainBlocksBecomeBlocksWithoutShortcuts() throws {
        let nodes = [node("x", .input), conv("stem", "x"), conv("a", "stem", module: "layer.0.a"), node("ra", .relu, "a", module: "layer.0"),
                     conv("b", "ra", module: "layer.1.b"), node("out", .relu, "b", module: "layer.1")] + head
        let arch = try find(nodes, plain: ["layer.0", "layer.1"])
        XCTAssertEqual(arch.blocks.map(\.name), ["layer.0", "layer.1"])
        XCTAssertEqual(arch.blocks.map(\.kind), [.plain, .plain])
        XCTAssertTrue(arch.blocks.allSatisfy(\.mergeReLU))
        XCTAssertEqual(arch.stem.map(\.op), [.conv])
    }

    func testJoinsThatAreNotBlocksAreNamed() {
        var nodes = residual()
        nodes.insert(node("odd", .mul, "a", "r0", module: "block.attention"), at: 4)
        nodes[5] = node("ra", .relu, "odd", module: "block")
        assertFails(nodes + head, mentioning: "node 'odd' (mul) in module 'block.attention' joins 2 inputs")
        assertFails([node("x", .input), conv("stem", "ghost")] + head, mentioning: "node 'stem' (conv) in module 'stem' reads 'ghost'")
    }

    func testAShortcutSpanningTwoBlocksIsAnError() {
        let nodes = residual() + [conv("c", "out", module: "block2.c"),
                                  node("sum2", .add, "c", "r0", module: "block2"), node("out2", .relu, "sum2", module: "block2")]
            + [GraphNode(id: "pool", layer: .globalAvgPool, inputs: ["out2"]), GraphNode(id: "fc", layer: .linear("fc", out: 10), inputs: ["pool"])]
        assertFails(nodes, mentioning: "its shortcut spans more than one block (it passes node 'sum' (add) in module 'block')")
    }

    func testTheGraphFormRoundTripsThroughJSON() throws {
        let graph = LayerGraph(nodes: residual() + head, plainBlocks: ["x"])
        let decoded = try JSONDecoder().decode(LayerGraph.self, from: try JSONEncoder().encode(graph))
        XCTAssertEqual(decoded, graph)
    }
}
