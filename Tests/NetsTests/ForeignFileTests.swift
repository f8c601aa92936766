import Foundation
import XCTest
import ZIPFoundation
@testable import Nets

/// Another framework's file given as the model or the dataset: the error names what it is and
/// the script that converts it, where it said "not an HDF5 file".
final class ForeignFileTests: XCTestCase {
    private let folder = Folder()

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = folder.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A zip archive with these members, as torch.save and numpy.savez write them.
    private func zip(_ name: String, members: [String]) throws -> String {
        let path = folder.path(name)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for member in members {
            let data = Data("x".utf8)
            try archive.addEntry(with: member, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return path
    }

    private func modelError(_ path: String) -> String {
        do { _ = try ModelFile.read(path); return "read" } catch { return "\(error)" }
    }

    private func datasetError(_ path: String) -> String {
        do { _ = try DatasetFile(path); return "read" } catch { return "\(error)" }
    }

    func testCheckpointsAndGraphsGivenAsTheModelNameTheirExporter() throws {
        // The first bytes of akamaster's resnet20-12fca82f.th: torch.save's legacy magic number.
        let legacy = try write("resnet20.th", [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8,
                                               0x50, 0x19, 0x2E, 0x80, 0x02])
        let zipped = try zip("model.pt", members: ["model/data.pkl", "model/version", "model/data/0"])
        var safetensors: [UInt8] = [2, 0, 0, 0, 0, 0, 0, 0]
        safetensors += Array("{}".utf8)
        let hub = try write("model.safetensors", safetensors)
        let onnx = try write("resnet.onnx", [0x08, 0x08, 0x12, 0x07] + Array("pytorch".utf8))
        let caffe = try write("ResNet-50-model.caffemodel", [0x0A, 0x09] + Array("ResNet-50".utf8))
        let cases: [(String, ForeignFile, String)] = [
            (legacy, .pytorchCheckpoint, "a PyTorch checkpoint, not an Unravel model file; export the network with its weights: "
                + "python3 notebooks-export/export_pytorch.py MODEL --checkpoint \(legacy)"),
            (zipped, .pytorchCheckpoint, "export_pytorch.py MODEL --checkpoint \(zipped)"),
            (hub, .safetensors, "weights in safetensors (as timm and Hugging Face save them), without the network"),
            (onnx, .onnx, "an ONNX model; convert it once: python3 notebooks-export/export_onnx.py \(onnx)"),
            (caffe, .caffeWeights, "lesion convert NET.prototxt --weights \(caffe) -o model.h5"),
        ]
        for (path, kind, message) in cases {
            XCTAssertEqual(ForeignFile(path), kind, path)
            let error = modelError(path)
            XCTAssertTrue(error.hasPrefix(path + ": ") && error.contains(message), error)
            XCTAssertTrue(datasetError(path).contains("not a dataset; the model comes first"), datasetError(path))
        }
    }

    func testArraysAndPicklesGivenAsTheDatasetNameMakeDataset() throws {
        let pickle = try write("test_batch", [0x80, 0x02, 0x7D, 0x71, 0x00])   // CIFAR-10's python batches
        let npz = try zip("arrays.npz", members: ["images.npy", "labels.npy"])
        let npy = try write("images.npy", [0x93] + Array("NUMPY".utf8) + [1, 0])
        let idx = try write("t10k-images-idx3-ubyte", [0, 0, 8, 3, 0, 0, 0x27, 0x10])
        let cases: [(String, ForeignFile, String)] = [
            (pickle, .pythonPickle, "python3 notebooks-export/make_dataset.py cifar10 \(pickle) -o data.h5"),
            (npz, .numpyArchive, "python3 notebooks-export/make_dataset.py npz \(npz) -o data.h5"),
            (npy, .numpyArray, "one NumPy array, not an Unravel dataset file; save the images and labels together"),
            (idx, .mnistIdx, "python3 notebooks-export/make_dataset.py mnist IMAGES LABELS -o data.h5"),
        ]
        for (path, kind, message) in cases {
            XCTAssertEqual(ForeignFile(path), kind, path)
            let error = datasetError(path)
            XCTAssertTrue(error.hasPrefix(path + ": ") && error.contains(message), error)
        }
        XCTAssertTrue(modelError(npz).contains("NumPy arrays, not a model file; is it the dataset, which comes second?"))
        let images = folder.path("val")
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        XCTAssertTrue(datasetError(images).contains("a folder of images becomes one with python3 notebooks-export/"
                                                    + "make_dataset.py imagefolder \(images)"), datasetError(images))
    }

    /// Unravel's own files, Keras archives and text are not foreign.
    func testOurFilesAndKerasArchivesAreNotForeign() throws {
        XCTAssertNil(ForeignFile(fixture("resnet20_a.model.h5")))
        XCTAssertNil(ForeignFile(try zip("resnet.keras", members: ["config.json", "model.weights.h5", "metadata.json"])))
        XCTAssertNil(ForeignFile(try write("net.prototxt", Array("name: \"ResNet-50\"\n".utf8))))
        XCTAssertNil(ForeignFile(folder.path("absent.h5")))
    }
}
