import Foundation

/// A progress bar with ETA on stderr. Silent when stderr is not a terminal or when asked.
final class Progress {
    private var total: Int
    private let label: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private(set) var done = 0
    /// Work already done when the bar started (a resumed run): not counted in the rate.
    private var baseline: Int?

    init(_ label: String, total: Int, quiet: Bool) {
        self.label = label
        self.total = max(total, 1)
        self.enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    func advance(by amount: Int) {
        done += amount
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done >= total else { return }
        lastDraw = Date()
        let fraction = min(Double(done) / Double(total), 1)
        let width = 30
        let filled = Int(fraction * Double(width))
        let elapsed = Date().timeIntervalSince(start)
        let fresh = done - (baseline ?? 0)
        let eta = fresh > 0 ? elapsed / Double(fresh) * Double(total - done) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%@ %@ %3.0f%% %d/%d  %@ left ", label, bar, fraction * 100, done, total, Progress.clock(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Sets the absolute position (work units done of total).
    func update(done: Int, total: Int) {
        self.total = max(total, 1)
        if baseline == nil { baseline = done }
        advance(by: done - self.done)
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
