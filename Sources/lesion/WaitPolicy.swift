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
    /// `lesion` (a study in another shell, tasks of one Slurm node), or others that kept half a
    /// core busy over a short sample. Not the load average: it still counts a job that has just
    /// ended, and would slow every step of a script. The sample, 0.1 s, is skipped when another
    /// `lesion` already decides it.
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
    /// Cores the other processes kept busy over `sample`, from /proc/stat; nil where it is
    /// missing (not Linux).
    private static func othersBusyCores(sample: TimeInterval = 0.1) -> Double? {
        guard let before = busyAndTotal() else { return nil }
        Thread.sleep(forTimeInterval: sample)
        guard let after = busyAndTotal() else { return nil }
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let elapsed = after.total - before.total
        // This process sleeps through the sample, so all the busy time is the others'.
        return elapsed > 0 ? (after.busy - before.busy) / elapsed * cores : 0
    }

    /// Busy and total jiffies of all CPUs, from /proc/stat's first line.
    private static func busyAndTotal() -> (busy: Double, total: Double)? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 5 else { return nil }
        let idle = fields[3] + fields[4]  // idle and iowait
        let total = fields.reduce(0, +)
        return (total - idle, total)
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
