import CDNNL
import Foundation

/// Process-wide compute settings.
public enum Compute {
    nonisolated(unsafe) private static var configuredThreads = 0
    private static let lock = NSLock()
    nonisolated(unsafe) private static var slowKernels: [String] = []
    /// Every fallback noted while `recordingFallbacks` runs, repeats included.
    nonisolated(unsafe) private static var recording: [String]? = nil

    /// Threads for oneDNN kernels. Defaults to every core; set it before running a network
    /// (plans are cached per thread count, so changing it later builds new plans).
    public static var threads: Int {
        get {
            lock.lock(); defer { lock.unlock() }
            return configuredThreads > 0 ? configuredThreads : ProcessInfo.processInfo.activeProcessorCount
        }
        set {
            lock.lock(); configuredThreads = max(0, newValue); lock.unlock()
            unravel_set_threads(Int32(threads))
        }
    }

    /// The oneDNN version in use.
    public static var oneDNNVersion: String { String(cString: unravel_dnnl_version()) }

    /// Kernels oneDNN chose that are reference or gemm fallbacks, each with its shape: a
    /// convolution there is 10-100x slower than it should be. Empty when all is well.
    public static var fallbackKernels: [String] {
        lock.lock(); defer { lock.unlock() }
        return slowKernels
    }

    /// Runs `body` and gives the fallback kernels chosen for the plans it created, whether or not
    /// an earlier plan of the process already chose them (tests of one network's kernels).
    static func recordingFallbacks(_ body: () throws -> Void) rethrows -> [String] {
        lock.lock(); recording = []; lock.unlock()
        defer { lock.lock(); recording = nil; lock.unlock() }
        try body()
        lock.lock(); defer { lock.unlock() }
        return recording ?? []
    }

    static func noteKernel(_ implementation: String, for what: String) {
        guard implementation.hasPrefix("ref") || implementation.contains("gemm") else { return }
        lock.lock()
        let entry = "\(what): \(implementation)"
        let isNew = !slowKernels.contains(entry)
        if isNew { slowKernels.append(entry) }
        recording?.append(entry)
        lock.unlock()
        #if DEBUG
        if isNew && ProcessInfo.processInfo.environment["UNRAVEL_QUIET_KERNELS"] == nil {
            FileHandle.standardError.write(Data("unravel: slow oneDNN kernel \(entry)\n".utf8))
        }
        #endif
    }
}
