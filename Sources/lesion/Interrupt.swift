import Foundation
import HDF5

/// Ctrl-C, kill and a closed terminal (SIGINT, SIGTERM, SIGHUP) in a command that runs networks:
/// the staging file of a save in progress is removed, and the user is told what was kept, then
/// the process exits with 128 + the signal, as a shell reports an interrupted command. The
/// handler only calls async-signal-safe functions (unlink, write, _exit) on memory prepared
/// beforehand.
enum Interrupt {
    nonisolated(unsafe) private static var message: UnsafeMutableBufferPointer<UInt8> = .init(start: nil, count: 0)

    static func install(resumable: Bool) {
        let text = Array(("\nlesion: interrupted" + (resumable
            ? "; the results file holds every finished work unit, and the same command with --resume goes on"
            : "") + "\n").utf8)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.count)
        _ = buffer.initialize(from: text)
        message = buffer
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            // A signal the parent ignores stays ignored: nohup's SIGHUP, a script's background SIGINT.
            let previous = Foundation.signal(signal, SIG_IGN)
            if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            Foundation.signal(signal) { number in
                StagingFile.removeFromSignalHandler()
                _ = write(STDERR_FILENO, Interrupt.message.baseAddress, Interrupt.message.count)
                _exit(128 + number)
            }
        }
    }
}
