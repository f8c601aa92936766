import ArgumentParser
import Foundation
import Nets

/// The `lesion` command: lesion and path experiments on trained residual networks.
@main
struct Lesion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesion",
        abstract: "Test whether a trained residual network behaves like an ensemble of shallow networks.",
        discussion: """
            Unravel runs the lesion and path-length experiments of Veit, Wilber & Belongie (NeurIPS 2016) \
            on networks stored in HDF5, and writes HDF5 result files that h5py and h5dump read.

            Examples:
              lesion study resnet56.h5 test.h5 -o results.h5
              lesion drop resnet56.h5 test.h5 -o results.h5 --resume
              lesion info resnet56.h5
              lesion eval resnet56.h5 test.h5 --batch-size 256
              lesion predict resnet56.h5 test.h5 -o predictions.h5 --input-gradients
              lesion bench resnet110.h5 --json

            Model files come from notebooks-export/export_pytorch.py; dataset files from \
            notebooks-export/make_dataset.py. Formats: docs/model-format.md.

            Exit codes: 0 success, 1 failure while running, 3 a bad model, data or results file, \
            4 an output in use by another process or already holding something (see --resume and \
            --force), 64 bad usage, 130, 143 and 129 interrupted (Ctrl-C, kill, a closed terminal).
            """,
        version: UnravelVersion.string + " (" + Arithmetic.current + ")",
        subcommands: [StudyCommand.self, Drop.self, DropMany.self, ReorderCommand.self, DuplicateCommand.self, ScaleCommand.self, ReinitCommand.self, AblateCommand.self, Paths.self, Grads.self,
                      LensCommand.self, ProbeLinearCommand.self, CKACommand.self, InferenceCommand.self, Report.self, Merge.self,
                      Info.self, Eval.self, Predict.self, Convert.self, Bench.self, CheckStructure.self]
    )

    /// The commands that run networks, and so OpenMP threads (see WaitPolicy). `bench` is not
    /// among them: it measures under the policy it is given.
    private static let computing: Set<String> = Set([StudyCommand.self, Drop.self, DropMany.self, ReorderCommand.self,
        DuplicateCommand.self, ScaleCommand.self, ReinitCommand.self, AblateCommand.self, Grads.self, LensCommand.self,
        ProbeLinearCommand.self, CKACommand.self, InferenceCommand.self, Eval.self, Predict.self]
        .map { ($0 as any ParsableCommand.Type)._commandName })

    /// Commands that write a file without running networks: an interrupt removes their staging file too.
    private static let writingOnly: Set<String> = Set([Merge.self, Convert.self]
        .map { ($0 as any ParsableCommand.Type)._commandName })

    /// The commands whose results file keeps every finished work unit, so --resume goes on.
    private static let resumable: Set<String> = Set([StudyCommand.self, Drop.self, DropMany.self, ReorderCommand.self,
        DuplicateCommand.self, ScaleCommand.self, ReinitCommand.self, AblateCommand.self, Grads.self, LensCommand.self,
        ProbeLinearCommand.self, CKACommand.self, InferenceCommand.self]
        .map { ($0 as any ParsableCommand.Type)._commandName })

    /// ArgumentParser's own `main`, except that the library's errors become one line and the
    /// exit code of their kind, wherever in a command they are thrown.
    static func main() {
        // A file-size limit (ulimit -f) would otherwise kill the process in the middle of a write;
        // ignored, the write fails, the staging file is removed and the error says which file.
        signal(SIGXFSZ, SIG_IGN)
        StructureCheck.install()
        if let name = CommandLine.arguments.dropFirst().first {
            if computing.contains(name) { WaitPolicy.passiveIfShared() }
            if computing.contains(name) || writingOnly.contains(name) { Interrupt.install(resumable: resumable.contains(name)) }
        }
        do {
            var command = try parseAsRoot()
            StructureCheck.beginForArguments()  // after parsing: a usage error starts no check
            try command.run()
        } catch let error as any KindedError {
            exit(withError: Exit.reporting(error))
        } catch {
            exit(withError: error)
        }
    }
}

enum UnravelVersion {
    static let string = "0.1.0-dev"
}
