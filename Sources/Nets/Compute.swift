import CDNNL
import Foundation

/// Process-wide compute settings.
public enum Compute {
    nonisolated(unsafe) private static var configuredThreads = 0
    private static let lock = NSLock()
    nonisolated(unsafe) private static var slowKernels: [String] = []
    /// Every fallback noted while `recordingFallbacks` runs, repeats included.
    nonisolated(unsafe) private static var recording: [String]? = nil

    /// Read once: on Linux, Foundation answers `activeProcessorCount` by reading the cgroup and
    /// affinity files, 5 µs and eight system calls a time, and every kernel call asks for the
    /// thread count (a CIFAR gradient pass lost 10% to it).
    private static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Threads for oneDNN kernels. Defaults to every core; set it before running a network
    /// (plans are cached per thread count, so changing it later builds new plans).
    public static var threads: Int {
        get {
            lock.lock(); defer { lock.unlock() }
            return configuredThreads > 0 ? configuredThreads : cores
        }
        set {
            lock.lock(); configuredThreads = max(0, newValue); lock.unlock()
            unravel_set_threads(Int32(threads))
        }
    }

    nonisolated(unsafe) private static var fixedChunk: Int? = nil

    /// Images per recorded pass when gradients are computed (`Network.forEachRecordedChunk`);
    /// nil (the default) sizes chunks to the caches. Results do not depend on it.
    public static var recordedChunk: Int? {
        get { lock.lock(); defer { lock.unlock() }; return fixedChunk }
        set { lock.lock(); fixedChunk = newValue.map { max($0, 1) }; lock.unlock() }
    }

    nonisolated(unsafe) private static var stageBudget: Int? = 8 * coreCacheBytes

    /// Bytes a block may stream per call in an unrecorded pass (`Network.runStaged`): a block
    /// runs on as many images as keep its larger activation within it (the four tensors of a
    /// highway layer's merge), so ResNet-50's first stage at 224 runs 4–5 images a call (eight
    /// times a core's cache: 16 MB on the AVX-512 Xeon, 8 MB on Zen 4). nil runs whole batches.
    /// Results do not depend on it.
    public static var stageBytes: Int? {
        get { lock.lock(); defer { lock.unlock() }; return stageBudget }
        set { lock.lock(); stageBudget = newValue.map { max($0, 1) }; lock.unlock() }
    }

    nonisolated(unsafe) private static var flatteningPixels = 28 * 28

    /// Pixels per image up to which a 1×1 stride-1 convolution runs over the batch as one row of
    /// pixels (`Convolution.planGrid`); 0 never does. Results do not depend on it.
    public static var pointwiseFlatteningPixels: Int {
        get { lock.lock(); defer { lock.unlock() }; return flatteningPixels }
        set { lock.lock(); flatteningPixels = max(0, newValue); lock.unlock() }
    }

    /// The last-level cache as the C library reports it (L3, else L2), or 32 MB when it does not.
    public static let lastLevelCacheBytes: Int = {
        for name in [Int32(_SC_LEVEL3_CACHE_SIZE), Int32(_SC_LEVEL2_CACHE_SIZE)] {
            let bytes = sysconf(name)
            if bytes > 0 { return bytes }
        }
        return 32 << 20
    }()

    /// A core's own cache (L2) as the C library reports it, or 1 MB when it does not.
    public static let coreCacheBytes: Int = {
        let bytes = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
        return bytes > 0 ? bytes : 1 << 20
    }()

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
