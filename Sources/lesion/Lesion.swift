import ArgumentParser

/// The `lesion` command: lesion and path experiments on trained residual networks.
@main
struct Lesion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesion",
        abstract: "Test whether a trained residual network behaves like an ensemble of shallow networks.",
        discussion: """
            Unravel runs the lesion and path-length experiments of Veit, Wilber & Belongie (NeurIPS 2016)
            on networks stored in HDF5, and writes HDF5 result files that h5py and h5dump read.

            The experiment commands (drop, drop-many, reorder, paths, grads, study) are being built;
            see the project's open issues. This build provides the HDF5 layer they stand on.
            """,
        version: UnravelVersion.string
    )
}

enum UnravelVersion {
    static let string = "0.1.0-dev"
}
