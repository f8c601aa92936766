import Foundation
import FuzzSupport
import Nets

/// Caffe models: the first byte chooses what the input is. Even: a deploy.prototxt (text
/// format), with weights it may not fit. Odd: a binary .caffemodel for the CIFAR ResNet-20
/// prototxt of the tests, read by the protobuf wire-format parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCaffe(_ bytes: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let asWeights = bytes.load(as: UInt8.self) & 1 == 1
    withInputFile(bytes + 1, count - 1, suffix: asWeights ? ".caffemodel" : ".prototxt") { path in
        if asWeights {
            _ = try CaffeModel.read(prototxt: fixedPrototxt, weights: path)
        } else {
            _ = try CaffeModel.read(prototxt: path, weights: fixedWeights)
        }
    }
    return 0
}

/// The tests' CIFAR ResNet-20 in Caffe's layout, and its weights.
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../Tests/NetsTests/Fixtures/caffe").standardized.path
private let fixedPrototxt = fixtures + "/cifar20.prototxt"
private let fixedWeights = fixtures + "/cifar20.caffemodel"
