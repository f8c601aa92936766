import FuzzSupport
import Nets

/// Unravel model files (HDF5): the architecture JSON, the layer graph and the weights, compiled
/// into a network, whose summary is then made as `lesion info` makes it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ bytes: UnsafeRawPointer, _ count: Int) -> CInt {
    withInputFile(bytes, count, suffix: ".h5") { path in
        let network = try ModelFile.load(path)
        _ = network.summary
    }
    return 0
}
