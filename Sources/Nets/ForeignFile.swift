import Foundation
import ZIPFoundation

/// A file in another framework's format, given where an Unravel model or dataset file belongs:
/// a new user's first try is the checkpoint they downloaded. Recognised by its first bytes, and
/// by its extension for ONNX and Caffe weights (protobuf has no signature), so that the error can
/// name the script that converts it instead of "not an HDF5 file".
public enum ForeignFile: Equatable, Sendable {
    /// torch.save's zip (a data.pkl member) or its legacy pickle (which starts with a magic number).
    case pytorchCheckpoint
    /// Another Python pickle, such as CIFAR-10's python batches.
    case pythonPickle
    case safetensors
    case onnx
    case caffeWeights
    case numpyArray
    case numpyArchive
    /// MNIST's idx files (images or labels).
    case mnistIdx

    /// What `path` is, if it is one of these; nil for HDF5, Keras archives, text and anything unknown.
    public init?(_ path: String) {
        guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 16) else { return nil }
        let bytes = [UInt8](head)
        let suffix = (path as NSString).pathExtension.lowercased()
        func starts(_ prefix: [UInt8]) -> Bool { bytes.starts(with: prefix) }
        if starts([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]) {
            self = .pytorchCheckpoint
        } else if bytes.count >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) {
            self = .pythonPickle
        } else if starts([0x50, 0x4B, 0x03, 0x04]) {
            guard let archive = try? Archive(url: URL(fileURLWithPath: path), accessMode: .read, pathEncoding: nil) else { return nil }
            let names = archive.map(\.path)
            if names.contains(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }) {
                self = .pytorchCheckpoint
            } else if !names.isEmpty && names.allSatisfy({ $0.hasSuffix(".npy") }) {
                self = .numpyArchive
            } else {
                return nil   // a .keras archive, read as Keras
            }
        } else if starts([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
            self = .numpyArray
        } else if starts([0, 0, 0x08, 0x01]) || starts([0, 0, 0x08, 0x03]) {
            self = .mnistIdx
        } else if bytes.count >= 9, bytes[8] == UInt8(ascii: "{"), suffix == "safetensors" || bytes[4...7] == [0, 0, 0, 0] {
            self = .safetensors
        } else if suffix == "onnx" {
            self = .onnx
        } else if suffix == "caffemodel" {
            self = .caffeWeights
        } else {
            return nil
        }
    }

    /// The error for this file given as the model.
    public func asModel(_ path: String) -> String {
        let export = "python3 notebooks-export/export_pytorch.py MODEL --checkpoint \(path) --input C,H,W --preprocess PRESET -o model.h5"
        let models = "MODEL names the network: torchvision:resnet50, timm:NAME, your file.py:Class, or cifar-resnet --depth N "
            + "for akamaster's CIFAR checkpoints; docs/model-format.md"
        switch self {
        case .pytorchCheckpoint:
            return "\(path): a PyTorch checkpoint, not an Unravel model file; export the network with its weights: \(export) (\(models))"
        case .pythonPickle:
            return "\(path): a Python pickle, not an Unravel model file; if it holds PyTorch weights, export the network with "
                + "them: \(export) (\(models))"
        case .safetensors:
            return "\(path): weights in safetensors (as timm and Hugging Face save them), without the network; export the "
                + "network they belong to: \(export) (\(models))"
        case .onnx:
            return "\(path): an ONNX model; convert it once: python3 notebooks-export/export_onnx.py \(path) "
                + "--preprocess PRESET -o model.h5 (docs/model-format.md)"
        case .caffeWeights:
            return "\(path): Caffe weights without the network; give the prototxt and these weights: "
                + "lesion convert NET.prototxt --weights \(path) -o model.h5"
        case .numpyArray, .numpyArchive, .mnistIdx:
            return "\(path): \(description), not a model file; is it the dataset, which comes second?"
        }
    }

    /// The error for this file given as the dataset.
    public func asDataset(_ path: String) -> String {
        let make = "python3 notebooks-export/make_dataset.py"
        switch self {
        case .pythonPickle:
            return "\(path): a Python pickle, not an Unravel dataset file; CIFAR-10's python batches become one with "
                + "\(make) cifar10 \(path) -o data.h5"
        case .numpyArchive:
            return "\(path): NumPy arrays, not an Unravel dataset file; make one with \(make) npz \(path) -o data.h5 "
                + "(--images and --labels name the arrays)"
        case .numpyArray:
            return "\(path): one NumPy array, not an Unravel dataset file; save the images and labels together with "
                + "numpy.savez, then \(make) npz FILE.npz -o data.h5"
        case .mnistIdx:
            return "\(path): an MNIST idx file, not an Unravel dataset file; make one with \(make) mnist IMAGES LABELS -o data.h5"
        case .pytorchCheckpoint, .safetensors, .onnx, .caffeWeights:
            return "\(path): \(description), not a dataset; the model comes first, the dataset (/images and /labels in "
                + "HDF5, from \(make)) second"
        }
    }

    var description: String {
        switch self {
        case .pytorchCheckpoint: return "a PyTorch checkpoint"
        case .pythonPickle: return "a Python pickle"
        case .safetensors: return "weights in safetensors"
        case .onnx: return "an ONNX model"
        case .caffeWeights: return "Caffe weights"
        case .numpyArray: return "a NumPy array"
        case .numpyArchive: return "NumPy arrays"
        case .mnistIdx: return "an MNIST idx file"
        }
    }
}
