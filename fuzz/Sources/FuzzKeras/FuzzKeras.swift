import FuzzSupport
import Nets

/// Keras 3 archives (.keras: a zip of config.json and model.weights.h5): the zip reader, the
/// functional graph and the weights.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeras(_ bytes: UnsafeRawPointer, _ count: Int) -> CInt {
    withInputFile(bytes, count, suffix: ".keras") { path in
        _ = try ModelFile.load(path)
    }
    return 0
}
