import Foundation

/// The reference networks trained by notebooks-export/train_reference.py and committed in models/:
/// what `lesion study` runs when given no MODEL and DATA.
enum BundledModels {
    static let networks = ["resnet56", "preact56", "plain56", "plain20", "highway"]
    static let data = "mnist-heldout.h5"

    /// The models folder: $UNRAVEL_MODELS, else models/ of the checkout the binary was built in
    /// (.build/<config>/lesion), else ./models.
    static var folder: String? {
        var candidates: [String] = []
        if let variable = ProcessInfo.processInfo.environment["UNRAVEL_MODELS"] { candidates.append(variable) }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var up = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(up.appendingPathComponent("models").path)
            up = up.deletingLastPathComponent()
        }
        candidates.append("models")
        return candidates.first { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent(data)) }
    }
}
