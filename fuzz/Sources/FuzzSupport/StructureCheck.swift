import Foundation
import HDF5

/// Every file the readers open is walked first in a forked child, as `lesion` walks it in a child
/// process (Sources/lesion/StructureCheck.swift): an input on which libhdf5 crashes or hangs in
/// the walk is one `lesion` refuses with exit 3, so it is skipped here, and what the fuzzer then
/// finds is what a user of `lesion` would meet. The harnesses are single-threaded, so forking is safe.
func installStructureCheck() {
    guard File.checkBeforeOpening == nil else { return }
    File.checkBeforeOpening = { path in
        guard walksInChild(path) else { throw RefusedInput() }
    }
}

struct RefusedInput: Error {}

private func walksInChild(_ path: String) -> Bool {
    let child = fork()
    guard child >= 0 else { return true }
    if child == 0 {
        File.checkBeforeOpening = nil
        // libFuzzer's handlers are inherited: with them a crash in libhdf5 would be written out as
        // this harness's crash, and the alarm below would only print a timeout report. Without
        // them the child dies by the signal, as lesion's child does.
        for deadly in [SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGALRM] { signal(deadly, SIG_DFL) }
        let devNull = open("/dev/null", O_WRONLY)
        dup2(devNull, STDERR_FILENO)
        alarm(10)  // a walk that loops is killed, as lesion kills it after its time limit
        do { try File.open(path).walkStructure() } catch { _exit(3) }
        _exit(0)
    }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    // Exited 0 or 3 (an ordinary error): lesion goes on to open it. Killed by a signal: lesion
    // refuses it. Another exit is the sanitizer's, after a bug in our own walk: refused too, and
    // its report is the child's crash file.
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    return exited && (code == 0 || code == 3)
}
