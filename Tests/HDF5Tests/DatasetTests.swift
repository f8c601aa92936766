import XCTest
@testable import HDF5

final class DatasetTests: XCTestCase {
    /// Writes and reads back `T` at ranks 0 through 4, plain and compressed.
    private func roundTrip<T: Element>(_: T.Type, _ make: (Int) -> T) throws {
        let scratch = Scratch("\(T.self)")
        let root = try File.create(scratch.path("d.h5")).root
        let shapes: [[Int]] = [[], [5], [3, 4], [2, 3, 4], [2, 1, 3, 5]]
        for (index, shape) in shapes.enumerated() {
            let values = (0..<shape.reduce(1, *)).map(make)
            try root.createDataset("plain\(index)", shape: shape, values: values)
            if !shape.isEmpty {
                try root.createDataset("packed\(index)", shape: shape, values: values, options: .compressed)
            }
        }
        for (index, shape) in shapes.enumerated() {
            let values = (0..<shape.reduce(1, *)).map(make)
            let plain = try root.dataset("plain\(index)")
            XCTAssertEqual(try plain.shape, shape)
            XCTAssertEqual(try plain.storedType, T.storedType)
            XCTAssertEqual(try plain.read(as: T.self), values, "\(T.self) rank \(shape.count)")
            if !shape.isEmpty {
                XCTAssertEqual(try root.dataset("packed\(index)").read(as: T.self), values)
            }
        }
    }

    func testEveryTypeAndRankRoundTrips() throws {
        try roundTrip(Float.self) { Float($0) * 0.25 - 3 }
        try roundTrip(Double.self) { Double($0) * 1e-300 }
        try roundTrip(Int32.self) { Int32($0) - 7 }
        try roundTrip(Int64.self) { Int64($0) * 3_000_000_000 }
        try roundTrip(UInt8.self) { UInt8($0 % 256) }
    }

    func testChunkingShuffleAndDeflateAreApplied() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("d.h5")).root
        let dataset = try root.createDataset(
            "x", shape: [100, 10], values: (0..<1000).map(Float.init),
            options: DatasetOptions(chunks: [10, 10], deflate: 6, shuffle: true))
        XCTAssertEqual(try dataset.chunkShape, [10, 10])
        XCTAssertEqual(try dataset.filters, ["shuffle", "deflate"])
        XCTAssertNil(try root.createDataset("y", shape: [2], values: [Float(1), 2]).chunkShape)
    }

    func testAChunkCacheHoldsTheChunksOfOneSlabOfRowsWithinItsLimit() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("d.h5")).root
        // Chunks of 2 MiB, twice HDF5's default cache, which would not keep them at all; then the
        // same array chunked by its second axis, as a file chunked by channel is.
        let values = (0..<(1024 * 1024)).map { Float($0 % 977) }
        try root.createDataset("x", shape: [1024, 1024], values: values,
                               options: DatasetOptions(chunks: [512, 1024], deflate: 1))
        try root.createDataset("split", shape: [1024, 4, 256], values: values,
                               options: DatasetOptions(chunks: [512, 1, 256], deflate: 1))
        try root.createDataset("flat", shape: [4], values: [Float(1), 2, 3, 4])
        let libraryDefault = try root.dataset("x").chunkCacheBytes
        XCTAssertEqual(libraryDefault, 1 << 20)

        for (name, bytes) in [("x", 2 << 20), ("split", 2 << 20)] {
            // HDF5 shares one cache among the open handles of a dataset, so each is closed in turn.
            let cached = try root.dataset(name, chunkCache: .rowOfChunks(limit: 4 << 20))
            XCTAssertEqual(try cached.chunkCacheBytes, bytes, name)
            var read: [Float] = []
            for start in stride(from: 0, to: 1024, by: 96) {
                read += try cached.readRows(start..<min(start + 96, 1024), as: Float.self)
            }
            XCTAssertEqual(read, values, name)
        }
        XCTAssertEqual(try root.dataset("x", chunkCache: .rowOfChunks(limit: 1 << 21 - 1)).chunkCacheBytes, libraryDefault)
        XCTAssertEqual(try root.dataset("x", chunkCache: .libraryDefault).chunkCacheBytes, libraryDefault)
        XCTAssertEqual(try root.dataset("flat", chunkCache: .rowOfChunks(limit: 4 << 20)).read(as: Float.self), [1, 2, 3, 4])
        assertHDF5Error(.missing) { try root.dataset("absent", chunkCache: .rowOfChunks(limit: 4 << 20)) }
    }

    func testRowSlabsAlongTheFirstAxis() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("d.h5")).root
        let images = (0..<(10 * 2 * 3)).map { UInt8($0) }
        let dataset = try root.createDataset("images", shape: [10, 2, 3], values: images, options: .compressed)
        XCTAssertEqual(try dataset.readRows(3..<5, as: UInt8.self), Array(images[18..<30]))
        XCTAssertEqual(try dataset.readRows(9..<10, as: UInt8.self), Array(images[54..<60]))
        XCTAssertEqual(try dataset.readRows(4..<4, as: UInt8.self), [])
        assertHDF5Error(.invalidArgument) { try dataset.readRows(8..<11, as: UInt8.self) }
        assertHDF5Error(.wrongShape) {
            try root.createDataset("s", shape: [], values: [UInt8(1)]).readRows(0..<1, as: UInt8.self)
        }
    }

    func testAppendingRowsToAnExtendableDataset() throws {
        let scratch = Scratch()
        let path = scratch.path("d.h5")
        do {
            let root = try File.create(path).root
            let rows = try root.createDataset("rows", shape: [0, 3], values: [Double](), options: .appendable)
            try rows.appendRows([1.0, 2, 3])
            try rows.appendRows([4.0, 5, 6, 7, 8, 9])
            try rows.writeRows([-1.0, -2, -3], at: 1)
            assertHDF5Error(.wrongShape) { try rows.appendRows([1.0, 2]) }
            assertHDF5Error(.wrongType) { try rows.appendRows([Float(1), 2, 3]) }
            let fixed = try root.createDataset("fixed", shape: [1, 3], values: [1.0, 2, 3])
            assertHDF5Error(.library) { try fixed.appendRows([1.0, 2, 3]) }
        }
        let rows = try File.open(path).root.dataset("rows")
        XCTAssertEqual(try rows.shape, [3, 3])
        XCTAssertEqual(try rows.read(as: Double.self), [1, 2, 3, -1, -2, -3, 7, 8, 9])
    }

    func testWrongTypeAndShapeAreErrorsAndConversionIsOptIn() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("d.h5")).root
        let dataset = try root.createDataset("w", shape: [2, 2], values: [1.0, 2, 3, 4])
        assertHDF5Error(.wrongType) { try dataset.read(as: Float.self) }
        assertHDF5Error(.wrongType) { try dataset.read(as: Int64.self) }
        XCTAssertEqual(try dataset.read(as: Float.self, converting: true), [1, 2, 3, 4])
        XCTAssertEqual(try dataset.read(as: Double.self, expectingShape: [nil, 2]), [1, 2, 3, 4])
        let error = assertHDF5Error(.wrongShape) { try dataset.read(as: Double.self, expectingShape: [nil, 3, 32, 32]) }
        XCTAssertTrue(error?.message.contains("expected shape [*, 3, 32, 32], found [2, 2]") ?? false)
        assertHDF5Error(.wrongShape) { try dataset.readScalar(as: Double.self) }
        assertHDF5Error(.wrongType) { try root.createDataset("t", strings: ["a"]).read(as: Float.self) }
        assertHDF5Error(.invalidArgument) { try root.createDataset("bad", shape: [3], values: [Float(1)]) }
    }

    func testStringDatasets() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("d.h5")).root
        try root.createDataset("classes", strings: ["airplane", "ünïcode", ""])
        XCTAssertEqual(try root.dataset("classes").readStrings(), ["airplane", "ünïcode", ""])
        assertHDF5Error(.wrongType) {
            try root.createDataset("n", shape: [1], values: [Float(1)]).readStrings()
        }
    }
}
