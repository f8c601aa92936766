import HDF5

/// Unravel's dataset file (docs/model-format.md):
///
///     /images    (N, C, H, W) uint8 or float32; attribute layout = "NHWC" for (N, H, W, C)
///     /labels    (N) integers
///     /          attrs: channel_order = "RGB" (default) or "BGR"; optional /class_names strings
///
/// Read in batches, so a dataset larger than memory works.
public final class DatasetFile: @unchecked Sendable {
    public let path: String
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let channelOrder: ChannelOrder
    private let images: Dataset
    private let labels: Dataset
    private let isUInt8: Bool
    private let channelsLast: Bool

    /// The most decompressed chunks kept between batches. make_dataset.py used to write up to 256
    /// images a chunk, 154 MB for 224×224 floats, which batches of 32 would otherwise decompress
    /// eight times.
    static let chunkCacheLimit = 512 << 20

    public init(_ path: String) throws {
        self.path = path
        if let foreign = ForeignFile(path) { throw NetsError(foreign.asDataset(path)) }
        if File.isFolder(path) {
            throw NetsError("\(path): a folder, not a dataset file; a folder of images becomes one with "
                            + "python3 notebooks-export/make_dataset.py imagefolder \(path) -o data.h5")
        }
        let root = try File.open(path).root
        if !root.contains("images"), root.hasAttribute("format"), try root.stringAttribute("format") == ModelFile.format {
            throw NetsError("\(path): a model file, not a dataset (/images and /labels); the dataset comes second")
        }
        images = try root.dataset("images", chunkCache: .rowOfChunks(limit: Self.chunkCacheLimit))
        labels = try root.dataset("labels")
        let shape = try images.shape
        guard shape.count == 4 else {
            throw NetsError("\(path): /images has shape \(shape), expected 4 dimensions (N, C, H, W)")
        }
        channelsLast = try images.hasAttribute("layout") && images.stringAttribute("layout") == "NHWC"
        count = shape[0]
        (channels, height, width) = channelsLast ? (shape[3], shape[1], shape[2]) : (shape[1], shape[2], shape[3])
        switch try images.storedType {
        case .integer(8, false): isUInt8 = true
        case .float(32): isUInt8 = false
        case let other: throw NetsError("\(path): /images holds \(other), expected uint8 or float32")
        }
        guard case .integer = try labels.storedType else {
            throw NetsError("\(path): /labels holds \(try labels.storedType), expected integers")
        }
        guard try labels.shape == [count] else {
            throw NetsError("\(path): /labels has shape \(try labels.shape), expected [\(count)] to match /images")
        }
        let order = root.hasAttribute("channel_order") ? try root.stringAttribute("channel_order") : "RGB"
        guard let known = ChannelOrder(rawValue: order.uppercased()) else {
            throw NetsError("\(path): /@channel_order is '\(order)', expected RGB or BGR")
        }
        channelOrder = known
    }

    /// Checks that the images fit the network's input and that every label is one of its classes.
    public func check(fits architecture: Architecture) throws {
        let input = architecture.input
        guard channels == input.channels, height == input.height, width == input.width else {
            // Arrays from NumPy or TensorFlow are often channels-last, which the file must declare.
            let channelsLastUndeclared = !channelsLast && [channels, height, width] == [input.height, input.width, input.channels]
            throw NetsError("\(path): images are \(channels)x\(height)x\(width) (CxHxW), "
                            + "but the model '\(architecture.name)' expects \(input.channels)x\(input.height)x\(input.width)"
                            + (channelsLastUndeclared ? "; stored as (N, H, W, C)? Give /images the attribute layout = \"NHWC\"" : ""))
        }
        // Labels index the logits: one outside the classes would read another image's.
        let classes = architecture.classes
        let all = try labels(0..<count)
        if let i = all.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw NetsError("\(path): /labels holds \(all[i]) at image \(i), but the model '\(architecture.name)' has "
                            + "\(classes) classes (labels 0–\(classes - 1))")
        }
    }

    /// Why these images would be preprocessed twice, if they would: float images that all lie
    /// within [-3, 3], as a ToTensor() or a normalised array gives them, for a model whose
    /// preprocessing takes 0–255 pixels. Such a network sees almost black images and guesses.
    /// Read from the first `sample` images, a chunk of them at a time, stopping at the first
    /// chunk with a pixel outside [-3, 3]: for float images in 0–255 that is the first (h5py
    /// reads the bench's first 64 images at 224×224 in 76 ms, its first chunk of 6 in 10 ms).
    public func scaleMismatch(for preprocessing: Preprocessing, sample: Int = 64) throws -> String? {
        guard !isUInt8, preprocessing.takesBytePixels, count > 0 else { return nil }
        let rows = 0..<min(sample, count)
        let piece = max((try? images.chunkShape)??.first ?? rows.count, 1)
        var low = Float.infinity, high = -Float.infinity
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: piece) {
            let pixels = try images.readRows(start..<min(start + piece, rows.upperBound), as: Float.self)
            guard let pieceLow = pixels.min(), let pieceHigh = pixels.max() else { continue }
            (low, high) = (min(low, pieceLow), max(high, pieceHigh))
            if low < -3 || high > 3 { return nil }
        }
        guard low <= high else { return nil }
        return "\(path): the images are floats from " + String(format: "%.3g to %.3g", low, high)
            + ", but the model's preprocessing (\(preprocessing.summary)) takes pixels in 0–255; were they scaled "
            + "already? Store 0–255 values, or export the model with the preprocessing these images need"
    }

    /// The labels of images `range`.
    public func labels(_ range: Range<Int>) throws -> [Int] {
        try labels.readRows(range, as: Int64.self, converting: true).map { Int($0) }
    }

    /// Images `range` as a preprocessed NHWC tensor, and their labels.
    public func batch(_ range: Range<Int>, preprocessing: Preprocessing) throws -> (images: Tensor, labels: [Int]) {
        let labels = try self.labels(range)
        let pixels: [Float] = isUInt8
            ? try images.readRows(range, as: UInt8.self).map { Float($0) }
            : try images.readRows(range, as: Float.self)
        let tensor = Tensor(shape: [range.count, height, width, channels])
        let reverse = preprocessing.channelOrder != channelOrder
        let plane = height * width
        for b in 0..<range.count {
            for c in 0..<channels {
                let target = reverse ? channels - 1 - c : c
                let scale = preprocessing.scale / (preprocessing.std.isEmpty ? 1 : preprocessing.std[target])
                let std = preprocessing.std.isEmpty ? 1 : preprocessing.std[target]
                let shift = (preprocessing.mean.isEmpty ? 0 : preprocessing.mean[target]) / std
                for p in 0..<plane {
                    let source = channelsLast ? (b * plane + p) * channels + c : (b * channels + c) * plane + p
                    var value = pixels[source] * scale - shift
                    // The mean image is in the network's channel order, as the model file stores it.
                    if let meanImage = preprocessing.meanImage { value -= meanImage[target * plane + p] / std }
                    tensor.pointer[(b * plane + p) * channels + target] = value
                }
            }
        }
        return (tensor, labels)
    }
}
