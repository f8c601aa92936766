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
        let devNull = open("/dev/null", O_WRONLY)
        dup2(devNull, STDERR_FILENO)  // the address sanitizer's report of a crash in libhdf5
        alarm(10)  // a walk that loops is killed, as lesion kills it after its time limit
        do { try File.open(path).walkStructure() } catch { _exit(3) }
        _exit(0)
    }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    // Exited 0 or 3 (an ordinary error): lesion goes on to open it. Killed, or the sanitizer's
    // exit after a crash: lesion refuses it.
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    return exited && (code == 0 || code == 3)
}
