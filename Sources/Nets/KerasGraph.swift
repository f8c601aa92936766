import Foundation

/// A Keras functional model's layer graph, from its model_config / config.json.
struct KerasGraph {
    struct Layer {
        let name: String
        let className: String
        let config: [String: Any]
        let inputs: [String]
    }

    let layers: [Layer]
    let byName: [String: Int]
    let consumers: [String: [String]]
    let source: String

    init(json: String, source: String) throws {
        self.source = source
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw NetsError("\(source): the Keras model config is not valid JSON")
        }
        let className = root["class_name"] as? String ?? "?"
        guard ["Functional", "Model"].contains(className), let config = root["config"] as? [String: Any],
              let entries = config["layers"] as? [[String: Any]] else {
            throw NetsError("\(source): a Keras \(className) model; only functional models (keras.Model(inputs, outputs)) are read")
        }
        var layers: [Layer] = []
        for entry in entries {
            let layerConfig = entry["config"] as? [String: Any] ?? [:]
            guard let name = entry["name"] as? String ?? layerConfig["name"] as? String,
                  let layerClass = entry["class_name"] as? String else {
                throw NetsError("\(source): a layer without a name or class in the model config")
            }
            let nodes = entry["inbound_nodes"] as? [Any] ?? []
            guard nodes.count <= 1 else {
                throw NetsError("\(source): layer '\(name)' (\(layerClass)) is called \(nodes.count) times; shared layers are not supported")
            }
            layers.append(Layer(name: name, className: layerClass, config: layerConfig,
                                inputs: nodes.first.map(KerasGraph.inboundNames) ?? []))
        }
        self.layers = layers
        byName = Dictionary(uniqueKeysWithValues: layers.enumerated().map { ($1.name, $0) })
        var consumers: [String: [String]] = [:]
        for layer in layers { for input in layer.inputs { consumers[input, default: []].append(layer.name) } }
        self.consumers = consumers
    }

    /// The layer names a node reads: Keras 2 writes [["name", 0, 0, {}], ...]; Keras 3 writes
    /// {"args": [...keras tensors with keras_history [name, 0, 0]...]}.
    private static func inboundNames(_ node: Any) -> [String] {
        var names: [String] = []
        func visit(_ value: Any) {
            if let dictionary = value as? [String: Any] {
                if let history = (dictionary["config"] as? [String: Any])?["keras_history"] as? [Any], let name = history.first as? String {
                    names.append(name)
                    return
                }
                if let args = dictionary["args"] { visit(args) }
            } else if let array = value as? [Any] {
                if let name = array.first as? String, array.count >= 3, array[1] is NSNumber { names.append(name); return }
                array.forEach(visit)
            }
        }
        visit(node)
        return names
    }
}
