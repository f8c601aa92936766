import Foundation

/// libgomp's threads spin between kernels by default. Alone on the machine that is the fastest
/// choice; beside another busy process, spinning threads take the cores the other needs.
/// Measured on 2 cores (ResNet-56 eval, images/s, docs/performance.md): alone 157 spinning, 137
/// passive; two processes side by side 65 + 65 spinning, 86 + 86 passive, and 75 + 79 when one of
/// them is passive. So a computing command that does not start alone asks for the passive policy.
///
/// libgomp reads OMP_WAIT_POLICY once, when it is loaded, so the choice is made by running the
/// same command again with it set (`execv`, before anything is computed). A
/// policy already in the environment, the user's, is always kept.
enum WaitPolicy {
    /// How this process's OpenMP threads wait, as its environment says.
    enum Current: String, Codable {
        case spinning, passive

        static var now: Current {
            ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"]?.lowercased() == "passive" ? .passive : .spinning
        }
    }

    /// Whether another process shares the machine as this one starts: another process named
    /// `lesion` (a study in another shell, tasks of one Slurm node), or others that were runnable
    /// half the time or more over a short sample. Not the load average: it still counts a job that
    /// has just ended, and would slow every step of a script.
    static func isShared() -> Bool {
        otherLesions() > 0 || (othersBusyCores() ?? 0) >= 0.5
    }

    /// Runs this command again with OMP_WAIT_POLICY=passive when the machine is shared and the
    /// environment sets no policy; returns otherwise (also when the new process cannot start).
    static func passiveIfShared() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OMP_WAIT_POLICY"] == nil, isShared() else { return }
        // The executable's own path, not /proc/self/exe, so the new process is still named
        // `lesion` and other processes count it.
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return }
        setenv("OMP_WAIT_POLICY", "passive", 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv(executable, arguments)
        unsetenv("OMP_WAIT_POLICY")  // execv returned: it failed; carry on spinning
    }
}

extension WaitPolicy {
    /// Tasks of other processes that were runnable, on average, over `reads` reads of the kernel's
    /// count (/proc/loadavg's fourth field) `gap` apart; nil where it is missing (not Linux).
    /// The count is of this instant, so 20 reads over 10 ms tell what CPU-time counters would
    /// need a tenth of a second for: /proc/stat moves in 10 ms ticks, and that sample was 0.1 s
    /// of every command's start. A process busy on a core is runnable at nearly every read.
    private static func othersBusyCores(reads: Int = 20, gap: TimeInterval = 0.0005) -> Double? {
        var total = 0
        for read in 0..<reads {
            if read > 0 { Thread.sleep(forTimeInterval: gap) }
            guard let running = runnableTasks() else { return nil }
            total += max(running - 1, 0)  // this thread is running as it reads; nothing else here is yet
        }
        return Double(total) / Double(reads)
    }

    /// Runnable tasks on the machine now: "1/234" in /proc/loadavg counts 1.
    private static func runnableTasks() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 4, let running = fields[3].split(separator: "/").first.flatMap({ Int($0) }) else { return nil }
        return running
    }

    private static func otherLesions() -> Int {
        let me = String(getpid())
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return processes.filter { pid in
            pid != me && pid.allSatisfy(\.isNumber)
                && (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "lesion"
        }.count
    }
}
