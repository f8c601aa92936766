import FuzzSupport
import Nets

/// Dataset files: images (uint8 or float), labels, class names and channel order, read in
/// batches as `lesion` reads them, with a preprocessing that touches every pixel.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataset(_ bytes: UnsafeRawPointer, _ count: Int) -> CInt {
    withInputFile(bytes, count, suffix: ".h5") { path in
        let dataset = try DatasetFile(path)
        let preprocessing = Preprocessing(scale: 1.0 / 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])
        _ = try dataset.batch(0..<min(dataset.count, 3), preprocessing: preprocessing)
        if dataset.count > 3 { _ = try dataset.batch((dataset.count - 1)..<dataset.count, preprocessing: preprocessing) }
    }
    return 0
}
