import Foundation
import HDF5
import Nets

/// Linear CKA between every pair of block outputs (Kornblith et al. 2019), estimated over
/// minibatches as Nguyen, Raghu & Kornblith (2021) do: per minibatch, the Gram matrix of each
/// block's flattened outputs and the unbiased HSIC₁ of every pair; then
///
///     CKA(i, j) = mean HSIC₁(Kᵢ, Kⱼ) / √(mean HSIC₁(Kᵢ, Kᵢ) · mean HSIC₁(Kⱼ, Kⱼ)).
///
/// With `against`, the columns are another network's blocks on the same images (a ResNet and
/// its plain or lesioned twin, say); without, the matrix compares the network with itself.
/// Minibatches of fewer than 4 images (a last partial batch) are left out and counted.
///
/// The HSIC sums are saved as the run goes (`raw/rows`), so an interrupted run resumes from the
/// last batch they include and adds the rest in the order an uninterrupted run does.
public final class BlockCKA: Probe, ResumableGroup {
    public let network: Network
    public let other: Network?
    /// The data the other network reads when its preprocessing differs from this one's.
    private let otherData: DatasetFile?
    /// The data's path, for messages.
    private let dataPath: String?
    private var cross: [Double]
    private var selfRows: [Double]
    private var selfColumns: [Double]
    public private(set) var minibatches = 0
    public private(set) var imagesUsed = 0
    public private(set) var imagesLeftOut = 0
    private var batches: RunningBatches

    /// `batchCount`: the dataset's batches, all measured, when known: with it, a save part-way is
    /// marked partial and a resumed run skips the batches saved.
    public init(network: Network, against other: Network? = nil, data: DatasetFile? = nil, batchSize: Int, batchCount: Int? = nil) throws {
        if let refusal = poolingRefusal(network) { throw NetsError("CKA: \(refusal)") }
        guard batchSize >= HSIC.minimumImages else {
            throw NetsError(.badUsage, "CKA's unbiased estimator needs at least \(HSIC.minimumImages) images per minibatch; "
                            + "the batch size is \(batchSize)")
        }
        if let other {
            if let refusal = poolingRefusal(other) { throw NetsError("CKA against '\(other.architecture.name)': \(refusal)") }
            guard other.architecture.input == network.architecture.input else {
                throw NetsError("CKA: '\(other.architecture.name)' reads \(other.architecture.input), "
                                + "'\(network.architecture.name)' \(network.architecture.input): they cannot see the same images")
            }
            guard other.architecture.preprocessing == network.architecture.preprocessing || data != nil else {
                throw NetsError(.badUsage, "CKA: the two networks preprocess differently; give the dataset to read it twice")
            }
        }
        self.network = network
        self.other = other
        otherData = other.map { $0.architecture.preprocessing == network.architecture.preprocessing } == false ? data : nil
        dataPath = data?.path
        cross = [Double](repeating: 0, count: network.blockCount * (other ?? network).blockCount)
        selfRows = [Double](repeating: 0, count: network.blockCount)
        selfColumns = [Double](repeating: 0, count: (other ?? network).blockCount)
        batches = RunningBatches(count: batchCount)
    }

    /// The results group it writes.
    public static let groupID = "cka"
    public var name: String { Self.groupID }
    public var id: String { name }
    public var reads: [HookPoint] { (0..<network.blockCount).map { .blockOutput($0) } }
    public var rowsCount: Int { network.blockCount }
    public var columnsCount: Int { (other ?? network).blockCount }
    public var isComplete: Bool { batches.isComplete }
    public func wants(batch index: Int) -> Bool { batches.wants(index) }

    public func observe(_ batch: Batch) throws {
        defer { batches.added(batch.index) }
        let n = batch.labels.count
        guard n >= HSIC.minimumImages else {
            imagesLeftOut += n
            return
        }
        let rows = try (0..<network.blockCount).map { try MatrixProduct.gram(try batch.activation(.blockOutput($0))) }
        var columns = rows
        if let other {
            var images = batch.images
            if let otherData {
                images = try otherData.batch(batch.range, preprocessing: other.architecture.preprocessing).images
            }
            var grams: [[Double]] = []
            var hooks = Hooks()
            for block in 0..<other.blockCount {
                hooks.add(.blockOutput(block)) { _, tensor in grams.append(try MatrixProduct.gram(tensor)); return nil }
            }
            _ = try other.forward(images, options: RunOptions(hooks: hooks))
            columns = grams
        }
        for i in rows.indices {
            selfRows[i] += HSIC.unbiased(rows[i], rows[i], n: n)
            for j in columns.indices {
                cross[i * columns.count + j] += other == nil && j < i ? 0 : HSIC.unbiased(rows[i], columns[j], n: n)
            }
        }
        if other == nil {
            selfColumns = selfRows
        } else {
            for j in columns.indices { selfColumns[j] += HSIC.unbiased(columns[j], columns[j], n: n) }
        }
        minibatches += 1
        imagesUsed += n
    }

    public func finish() throws {
        guard minibatches > 0 else {
            throw NetsError((dataPath.map { "\($0): " } ?? "") + "CKA: no minibatch of at least \(HSIC.minimumImages) images "
                            + "(\(imagesLeftOut) image(s) in all)")
        }
    }

    /// The CKA matrix, [rows, columns] row-major.
    public var matrix: [Double] {
        let width = columnsCount
        return (0..<(rowsCount * width)).map { index in
            var (i, j) = (index / width, index % width)
            if other == nil && j < i { (i, j) = (j, i) }
            return cross[i * width + j] / (selfRows[i] * selfColumns[j]).squareRoot()
        }
    }

    /// What determines the numbers, checked on resume.
    var settings: String {
        ExperimentRun.encode(["batches": batches.count.map(String.init) ?? "all",
                              "against": other.map { "\($0.architecture.name), \($0.blockCount) blocks" } ?? "itself"])
    }

    /// Row i: block i's HSIC with every column block, then with itself; the last row: each column
    /// block's HSIC with itself.
    private var rowColumns: [String] { (0..<columnsCount).map { "hsic_\($0)" } + ["hsic_self"] }

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("method", "linear CKA, minibatch estimator with unbiased HSIC (Nguyen, Raghu & Kornblith 2021)")
        try group.setAttribute("minibatches", Int64(minibatches))
        try group.setAttribute("images", Int64(imagesUsed))
        try group.setAttribute("images_left_out", Int64(imagesLeftOut))
        var sums: [Double] = []
        for i in 0..<rowsCount { sums += cross[(i * columnsCount)..<((i + 1) * columnsCount)] + [selfRows[i]] }
        sums += selfColumns + [0]
        try batches.writeProgress(group, settings: settings, rows: sums, columns: rowColumns)
        guard isComplete else { return }
        try group.setAttribute("rows", network.architecture.name)
        try group.setAttribute("columns", (other ?? network).architecture.name)
        try group.setAttribute("row_downsampling_blocks", network.downsamplingBlocks.map { Int64($0) })
        try group.setAttribute("column_downsampling_blocks", (other ?? network).downsamplingBlocks.map { Int64($0) })
        try group.createDataset("matrix", shape: [rowsCount, columnsCount], values: matrix, options: .checksummed)
            .setAttribute("units", "linear CKA between block i's output (row) and block j's (column), in [0, 1]")
    }

    /// Takes up the sums an earlier run saved in `group`.
    public func resume(from group: Group, path: String) throws {
        guard let table = try batches.resume(from: group, settings: settings, columns: rowColumns, rows: rowsCount + 1, path: path)
        else { return }
        for i in 0..<rowsCount {
            cross.replaceSubrange((i * columnsCount)..<((i + 1) * columnsCount), with: table[i].prefix(columnsCount))
            selfRows[i] = table[i][columnsCount]
        }
        selfColumns = Array(table[rowsCount].prefix(columnsCount))
        minibatches = Int(try group.attribute("minibatches", as: Int64.self))
        imagesUsed = Int(try group.attribute("images", as: Int64.self))
        imagesLeftOut = Int(try group.attribute("images_left_out", as: Int64.self))
    }
}
