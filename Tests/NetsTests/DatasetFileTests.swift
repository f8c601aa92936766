import Foundation
import HDF5
import XCTest
@testable import Nets

final class DatasetFileTests: XCTestCase {
    private var folder = TemporaryFolder("data")

    /// Pixel (b, c, i, j) of the test images: distinct small integers.
    private func pixel(_ b: Int, _ c: Int, _ i: Int, _ j: Int) -> UInt8 { UInt8((b * 50 + c * 20 + i * 3 + j) % 256) }

    private func write(layout: String?, channelOrder: String?, labels: [Int32]? = nil) throws -> String {
        let path = folder.appendingPathComponent("d\(layout ?? "")\(channelOrder ?? "")\(labels.map { "\($0)" } ?? "").h5").path
        let root = try File.create(path).root
        let (n, c, h, w) = (5, 3, 4, 2)
        var values: [UInt8] = []
        if layout == "NHWC" {
            for b in 0..<n { for i in 0..<h { for j in 0..<w { for k in 0..<c { values.append(pixel(b, k, i, j)) } } } }
            try root.createDataset("images", shape: [n, h, w, c], values: values).setAttribute("layout", "NHWC")
        } else {
            for b in 0..<n { for k in 0..<c { for i in 0..<h { for j in 0..<w { values.append(pixel(b, k, i, j)) } } } }
            try root.createDataset("images", shape: [n, c, h, w], values: values)
        }
        try root.createDataset("labels", shape: [n], values: labels ?? (0..<n).map { Int32($0 % 3) })
        if let channelOrder { try root.setAttribute("channel_order", channelOrder) }
        return path
    }

    /// x = (pixel × scale − meanImage[c, h, w] − mean[c]) / std[c], the mean image in the
    /// network's channel order.
    func testAMeanImageIsSubtractedPerPixel() throws {
        let meanImage = (0..<(3 * 4 * 2)).map { Float($0) * 0.01 }
        var preprocessing = Preprocessing(scale: 1.0 / 255, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.5], meanImage: meanImage)
        let data = try DatasetFile(try write(layout: nil, channelOrder: "RGB"))
        for order in ChannelOrder.allCases {
            preprocessing.channelOrder = order
            let (images, _) = try data.batch(0..<2, preprocessing: preprocessing)
            for b in 0..<2 { for i in 0..<4 { for j in 0..<2 { for c in 0..<3 {
                let target = order == .RGB ? c : 2 - c
                let expected = (Float(pixel(b, c, i, j)) / 255 - meanImage[(target * 4 + i) * 2 + j] - preprocessing.mean[target])
                    / preprocessing.std[target]
                XCTAssertEqual(images.pointer[((b * 4 + i) * 2 + j) * 3 + target], expected, accuracy: 1e-5)
            } } } }
        }
    }

    func testBatchesArePreprocessedNHWCTensorsWhateverTheFileLayout() throws {
        let preprocessing = Preprocessing(scale: 1.0 / 255, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.5])
        for layout in [nil, "NHWC"] {
            let data = try DatasetFile(try write(layout: layout, channelOrder: nil))
            XCTAssertEqual([data.count, data.channels, data.height, data.width], [5, 3, 4, 2])
            let (images, labels) = try data.batch(2..<4, preprocessing: preprocessing)
            XCTAssertEqual(images.shape, [2, 4, 2, 3])
            XCTAssertEqual(labels, [2, 0])
            for b in 0..<2 { for i in 0..<4 { for j in 0..<2 { for c in 0..<3 {
                let expected = (Float(pixel(b + 2, c, i, j)) / 255 - preprocessing.mean[c]) / preprocessing.std[c]
                XCTAssertEqual(images.pointer[((b * 4 + i) * 2 + j) * 3 + c], expected, accuracy: 1e-5)
            } } } }
        }
    }

    func testBGRFilesAreReorderedForRGBNetworks() throws {
        let data = try DatasetFile(try write(layout: nil, channelOrder: "BGR"))
        let (images, _) = try data.batch(0..<1, preprocessing: Preprocessing(scale: 1, mean: [], std: []))
        XCTAssertEqual(images.pointer[0], Float(pixel(0, 2, 0, 0)), "channel 0 of an RGB network is the file's channel 2")
        XCTAssertEqual(images.pointer[2], Float(pixel(0, 0, 0, 0)))
        XCTAssertEqual(try DatasetFile(try write(layout: "NCHW", channelOrder: "bgr")).channelOrder, .BGR, "any case")
        XCTAssertThrowsError(try DatasetFile(try write(layout: nil, channelOrder: "YUV"))) { error in
            XCTAssertTrue("\(error)".contains("/@channel_order is 'YUV', expected RGB or BGR"), "\(error)")
        }
    }

    /// Labels index the logits: one outside the model's classes read another image's logits (or
    /// memory past them) and gave a loss, an error and per-class numbers made of nothing.
    func testLabelsOutsideTheModelsClassesAreRefused() throws {
        let architecture = Architecture(name: "net", input: InputShape(channels: 3, height: 4, width: 2), stem: [], blocks: [],
                                        head: [], classes: 3)
        XCTAssertNoThrow(try DatasetFile(try write(layout: nil, channelOrder: nil)).check(fits: architecture))
        XCTAssertNoThrow(try DatasetFile(try write(layout: "NHWC", channelOrder: nil)).check(fits: architecture))
        for (labels, bad) in [([0, 1, 2, 3, 0], "3 at image 3"), ([0, -1, 2, 1, 0], "-1 at image 1")] as [([Int32], String)] {
            let data = try DatasetFile(try write(layout: nil, channelOrder: nil, labels: labels))
            XCTAssertThrowsError(try data.check(fits: architecture)) { error in
                XCTAssertTrue("\(error)".contains("/labels holds \(bad), but the model 'net' has 3 classes (labels 0–2)"), "\(error)")
            }
        }
    }

    /// Float images already in [0, 1] (or normalised) given to a model that takes 0–255 pixels
    /// are scaled twice: the network sees near-black images and guesses.
    func testImagesScaledTwiceAreNamed() throws {
        /// One-pixel float images, contiguous or deflated in chunks of `chunkRows` images.
        func floats(_ name: String, _ values: [Float], chunkRows: Int? = nil) throws -> DatasetFile {
            let path = folder.appendingPathComponent(name).path
            do {
                let root = try File.create(path).root
                let options = chunkRows.map { DatasetOptions(chunks: [$0, 1, 1, 1], deflate: 1) } ?? .plain
                try root.createDataset("images", shape: [values.count, 1, 1, 1], values: values, options: options)
                try root.createDataset("labels", shape: [values.count], values: [Int64](repeating: 0, count: values.count))
            }
            return try DatasetFile(path)
        }
        let imagenet = Preprocessing(scale: 1.0 / 255, mean: [0.485], std: [0.229])
        let caffe = Preprocessing(scale: 1, mean: [104], std: [])
        let unit = try floats("unit.h5", [0, 0.25, 1])
        let message = try XCTUnwrap(try unit.scaleMismatch(for: imagenet))
        XCTAssertTrue(message.contains("unit.h5: the images are floats from 0 to 1, but the model's preprocessing"), message)
        XCTAssertNotNil(try unit.scaleMismatch(for: caffe), "Caffe's mean of 104 is in pixel units")
        XCTAssertNotNil(try floats("normalised.h5", [-2.1, 0, 2.6]).scaleMismatch(for: imagenet))
        XCTAssertNil(try unit.scaleMismatch(for: .identity), "a model that takes prepared inputs")
        XCTAssertNil(try floats("bytes.h5", [0, 17, 255]).scaleMismatch(for: imagenet), "0–255 values stored as floats")
        XCTAssertNil(try DatasetFile(try write(layout: nil, channelOrder: nil)).scaleMismatch(for: imagenet), "uint8 pixels")

        // Read a chunk at a time: the same answer, and the extremes of all the images sampled.
        let spread: [Float] = (0..<10).map { Float($0) / 9 }
        let whole = try XCTUnwrap(try floats("spread.h5", spread).scaleMismatch(for: imagenet))
        let inChunks = try XCTUnwrap(try floats("spread-chunked.h5", spread, chunkRows: 3).scaleMismatch(for: imagenet))
        XCTAssertEqual(inChunks.replacingOccurrences(of: "spread-chunked.h5", with: "spread.h5"), whole)
        XCTAssertTrue(whole.contains("floats from 0 to 1,"), whole)
        var late = spread
        late[8] = 200
        XCTAssertNil(try floats("late.h5", late, chunkRows: 3).scaleMismatch(for: imagenet), "a 0–255 value in a later chunk")
        XCTAssertNotNil(try floats("beyond.h5", late, chunkRows: 3).scaleMismatch(for: imagenet, sample: 8),
                        "a 0–255 value after the sampled images is not seen")
    }

    /// Channels-last images without the layout attribute read as the wrong shape; the error says
    /// how to declare them.
    func testUndeclaredChannelsLastIsNamed() throws {
        let path = folder.appendingPathComponent("nhwc.h5").path
        do {
            let root = try File.create(path).root
            try root.createDataset("images", shape: [2, 4, 2, 3], values: [UInt8](repeating: 0, count: 48))
            try root.createDataset("labels", shape: [2], values: [Int64(0), 1])
        }
        let architecture = Architecture(name: "net", input: InputShape(channels: 3, height: 4, width: 2), stem: [], blocks: [],
                                        head: [], classes: 3)
        XCTAssertThrowsError(try DatasetFile(path).check(fits: architecture)) { error in
            XCTAssertTrue("\(error)".contains("images are 4x2x3 (CxHxW), but the model 'net' expects 3x4x2; stored as (N, H, W, C)? "
                                              + "Give /images the attribute layout = \"NHWC\""), "\(error)")
        }
    }

    func testMissingImagesAreAClearError() throws {
        let path = folder.appendingPathComponent("empty.h5").path
        _ = try File.create(path)
        XCTAssertThrowsError(try DatasetFile(path)) { error in
            XCTAssertTrue("\(error)".contains("/images: no such dataset"), "\(error)")
        }
    }
}
