import Foundation
import HDF5

/// Keras model files, read directly: legacy .h5 (model.save), Keras 3 .weights.h5 (with the
/// architecture from a .keras or config.json beside it), .keras archives, and Keras 2 weights-only
/// .h5. Kernels come in HWIO and Dense kernels as [in, out]; they are turned into Unravel's PyTorch
/// layout (OIHW, [out, in]) under "<layer>.weight" names.
public enum KerasModel {
    /// The architecture and weights if `path` is a Keras file, else nil.
    public static func readIfKeras(_ path: String) throws -> (architecture: Architecture, weights: Weights)? {
        guard let head = FileHandle(forReadingAtPath: path).flatMap({ try? $0.read(upToCount: 4) }) else { return nil }
        var name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        if name.hasSuffix(".weights") { name = String(name.dropLast(".weights".count)) }
        if head.starts(with: [0x50, 0x4B]) {
            let archive = try ZipArchive(path)
            let config = String(decoding: try archive.member("config.json"), as: UTF8.self)
            let weightsPath = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-keras-\(UUID().uuidString).h5").path
            try archive.member("model.weights.h5").write(to: URL(fileURLWithPath: weightsPath))
            defer { try? FileManager.default.removeItem(atPath: weightsPath) }
            return try read(config: config, configSource: "\(path) (config.json)", weights: try File.open(weightsPath).root,
                            weightsSource: "\(path) (model.weights.h5)", name: name)
        }
        guard H5Signature.matches(head) else { return nil }
        let root = try File.open(path).root
        if root.hasAttribute("format") { return nil }   // Unravel's own format
        if root.hasAttribute("model_config") {
            return try read(config: try root.stringAttribute("model_config"), configSource: "\(path) (model_config)",
                            weights: root.contains("model_weights") ? try root.group("model_weights") : root,
                            weightsSource: path, name: name)
        }
        guard root.contains("layers") || root.hasAttribute("layer_names") else { return nil }
        let (config, source) = try siblingConfig(path)
        return try read(config: config, configSource: source, weights: root, weightsSource: path, name: name)
    }

    /// A weights-only file's architecture: from NAME.keras, NAME.config.json or config.json beside it.
    static func siblingConfig(_ path: String) throws -> (String, String) {
        let folder = (path as NSString).deletingLastPathComponent
        var stem = (path as NSString).lastPathComponent
        for suffix in [".weights.h5", ".h5", ".hdf5"] where stem.hasSuffix(suffix) { stem = String(stem.dropLast(suffix.count)); break }
        let keras = (folder as NSString).appendingPathComponent("\(stem).keras")
        if FileManager.default.fileExists(atPath: keras) {
            return (String(decoding: try ZipArchive(keras).member("config.json"), as: UTF8.self), "\(keras) (config.json)")
        }
        for candidate in ["\(stem).config.json", "\(stem).json", "config.json"] {
            let file = (folder as NSString).appendingPathComponent(candidate)
            if let data = FileManager.default.contents(atPath: file) { return (String(decoding: data, as: UTF8.self), file) }
        }
        throw NetsError("\(path): a Keras weights file holds no architecture; put \(stem).keras or \(stem).config.json "
                        + "(model.to_json()) beside it")
    }

    static func read(config: String, configSource: String, weights: Group, weightsSource: String,
                     name: String) throws -> (architecture: Architecture, weights: Weights) {
        let graph = try KerasGraph(json: config, source: configSource)
        var converter = KerasConverter(graph)
        let architecture = try converter.architecture(name: name)
        let paths = KerasWeights.keras3Paths(graph)
        var result = Weights(source: weightsSource)
        for (layer, role) in converter.roles {
            let arrays = try KerasWeights.arrays(of: layer, stored: paths[layer] ?? layer, role: role, in: weights, source: weightsSource)
            func take(_ key: String) throws -> Weights.Entry {
                guard let entry = arrays[key] else {
                    throw NetsError("\(weightsSource): layer '\(layer)' has no \(key) (found \(arrays.keys.sorted()))")
                }
                return entry
            }
            switch role {
            case .conv:
                let kernel = try take("kernel")
                guard kernel.shape.count == 4 else { throw NetsError("\(weightsSource): '\(layer)' kernel has shape \(kernel.shape)") }
                result.entries["\(layer).weight"] = KerasWeights.hwioToOIHW(kernel)
                if let bias = arrays["bias"] { result.entries["\(layer).bias"] = bias }
            case .dense:
                let kernel = try take("kernel")
                guard kernel.shape.count == 2 else { throw NetsError("\(weightsSource): '\(layer)' kernel has shape \(kernel.shape)") }
                result.entries["\(layer).weight"] = KerasWeights.transpose(kernel)
                if let bias = arrays["bias"] { result.entries["\(layer).bias"] = bias }
            case .batchnorm:
                let mean = try take("moving_mean"), variance = try take("moving_variance")
                let ones = Weights.Entry(shape: mean.shape, values: [Float](repeating: 1, count: mean.values.count))
                let zeros = Weights.Entry(shape: mean.shape, values: [Float](repeating: 0, count: mean.values.count))
                result.entries["\(layer).weight"] = arrays["gamma"] ?? ones
                result.entries["\(layer).bias"] = arrays["beta"] ?? zeros
                result.entries["\(layer).running_mean"] = mean
                result.entries["\(layer).running_var"] = variance
            }
        }
        return (architecture, result)
    }
}

/// The 8-byte HDF5 signature at the start of a file.
enum H5Signature {
    static func matches(_ head: Data) -> Bool { head.starts(with: [0x89, 0x48, 0x44, 0x46]) }
}

/// Reading one Keras layer's arrays in each file layout, and Keras → PyTorch layouts.
enum KerasWeights {
    /// The layer's arrays by Keras name: kernel, bias, gamma, beta, moving_mean, moving_variance.
    /// Keras 3 stores a functional model's weights under layers/<name>, where <name> is not the
    /// layer's name but its class in snake case, numbered by order of appearance: the third
    /// BatchNormalization is "batch_normalization_2" whatever the layer is called.
    static func keras3Paths(_ graph: KerasGraph) -> [String: String] {
        var seen: [String: Int] = [:]
        var paths: [String: String] = [:]
        for layer in graph.layers {
            let base = snakeCase(layer.className)
            let count = seen[base, default: 0]
            paths[layer.name] = count == 0 ? base : "\(base)_\(count)"
            seen[base] = count + 1
        }
        return paths
    }

    /// Keras' to_snake_case: "BatchNormalization" → "batch_normalization", "ReLU" → "re_lu".
    static func snakeCase(_ name: String) -> String {
        var text = name
        for pattern in ["(.)([A-Z][a-z]+)", "([a-z])([A-Z])"] {
            let regex = try! NSRegularExpression(pattern: pattern)
            text = regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1_$2")
        }
        return text.lowercased()
    }

    static func arrays(of layer: String, stored: String, role: KerasConverter.Role, in root: Group, source: String) throws -> [String: Weights.Entry] {
        func entry(_ dataset: Dataset) throws -> Weights.Entry {
            Weights.Entry(shape: try dataset.shape, values: try dataset.read(as: Float.self, converting: true))
        }
        // Keras 3: layers/<layer>/vars/<i>, in the layer's own order.
        if root.contains("layers") {
            guard root.contains("layers/\(stored)/vars") else {
                throw NetsError("\(source): no layers/\(stored)/vars for layer '\(layer)'")
            }
            let vars = try root.group("layers/\(stored)/vars")
            let count = try vars.members().count
            let values = try (0..<count).map { try entry(try vars.dataset("\($0)")) }
            var order: [String]
            switch role {
            case .conv, .dense: order = ["kernel", "bias"]
            case .batchnorm(let center, let scale): order = (scale ? ["gamma"] : []) + (center ? ["beta"] : []) + ["moving_mean", "moving_variance"]
            }
            guard values.count <= order.count else {
                throw NetsError("\(source): layers/\(stored)/vars holds \(values.count) arrays, expected at most \(order.count)")
            }
            return Dictionary(uniqueKeysWithValues: zip(order, values))
        }
        // Legacy: <layer> group with a weight_names attribute ("conv2d/kernel:0" or "conv2d/kernel").
        guard root.contains(layer) else { throw NetsError("\(source): no weights for layer '\(layer)'") }
        let group = try root.group(layer)
        var arrays: [String: Weights.Entry] = [:]
        for name in try group.stringArrayAttribute("weight_names") {
            var key = String(name.split(separator: "/").last ?? "")
            if key.hasSuffix(":0") { key = String(key.dropLast(2)) }
            arrays[key] = try entry(try group.dataset(name))
        }
        return arrays
    }

    /// (KH, KW, I, O) → (O, I, KH, KW).
    static func hwioToOIHW(_ kernel: Weights.Entry) -> Weights.Entry {
        let (kh, kw, i, o) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
        var values = [Float](repeating: 0, count: kernel.values.count)
        for y in 0..<kh { for x in 0..<kw { for c in 0..<i { for f in 0..<o {
            values[((f * i + c) * kh + y) * kw + x] = kernel.values[((y * kw + x) * i + c) * o + f]
        } } } }
        return Weights.Entry(shape: [o, i, kh, kw], values: values)
    }

    /// (in, out) → (out, in).
    static func transpose(_ kernel: Weights.Entry) -> Weights.Entry {
        let (rows, columns) = (kernel.shape[0], kernel.shape[1])
        var values = [Float](repeating: 0, count: kernel.values.count)
        for r in 0..<rows { for c in 0..<columns { values[c * rows + r] = kernel.values[r * columns + c] } }
        return Weights.Entry(shape: [columns, rows], values: values)
    }
}
