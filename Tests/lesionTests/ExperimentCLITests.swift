import Foundation
import HDF5
import Nets
import XCTest

/// The experiment commands end to end: interrupted and resumed runs, shards and merges, a
/// second writer, and bad input that must write nothing.
final class ExperimentCLITests: XCTestCase {
    private var folder: URL!
    private let model = netsFixture("resnet20_a.model.h5")

    override func setUp() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-exp-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Standard-normal float32 images (the fixture models take them as they are).
    private func makeData(_ name: String = "data.h5", count: Int = 24, size: Int = 32, labels: [Int64]? = nil) throws -> String {
        let file = path(name)
        let root = try File.create(file).root
        var state: UInt64 = 99
        let values = (0..<(count * 3 * size * size)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 22)
        }
        try root.createDataset("images", shape: [count, 3, size, size], values: values)
        try root.createDataset("labels", shape: [count], values: labels ?? (0..<count).map { Int64($0 % 10) })
        return file
    }

    /// Every dataset under `group`, flattened to Doubles, by path.
    private func contents(_ file: String, _ group: String) throws -> [String: [Double]] {
        var result: [String: [Double]] = [:]
        func visit(_ g: Group, _ prefix: String) throws {
            for (name, kind) in try g.members() {
                if kind == .group { try visit(try g.group(name), prefix + name + "/") }
                guard kind == .dataset else { continue }
                let dataset = try g.dataset(name)
                result[prefix + name] = try dataset.storedType == .string
                    ? dataset.readStrings().map { Double($0.hashValue) }   // equal strings, equal hashes in one process
                    : dataset.read(as: Double.self, converting: true)
            }
        }
        try visit(try File.open(file).root.group(group), "")
        return result
    }

    private func assertSameResults(_ a: String, _ b: String, group: String = "drop_one", file: StaticString = #filePath, line: UInt = #line) throws {
        let (x, y) = (try contents(a, group), try contents(b, group))
        XCTAssertEqual(Set(x.keys), Set(y.keys), file: file, line: line)
        for key in x.keys.sorted() {
            let (u, v) = (x[key]!, y[key] ?? [])
            XCTAssertTrue(u.count == v.count && zip(u, v).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) },
                          "\(group)/\(key) differs", file: file, line: line)
        }
    }

    private func status(_ file: String, _ group: String = "drop_one") throws -> String {
        try File.open(file).root.group(group).stringAttribute("status")
    }

    /// Runs `lesion arguments` saving after every work unit and pausing `pause` seconds after each,
    /// kills it (SIGKILL) once `group` of `output` holds `units` work units, and gives the units the
    /// file held then (fewer if the time ran out).
    private func killed(_ arguments: [String], output: String, group: String, once units: Int64, pause: Double) throws -> Int64 {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments + ["-o", output, "--save-interval", "0", "--pause-after-unit", "\(pause)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var done: Int64 = 0
        for _ in 0..<300 where done < units {
            Thread.sleep(forTimeInterval: 0.05)
            done = (try? File.open(output).root.group(group).attribute("units_done", as: Int64.self)) ?? 0
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return done
    }

    /// `lesion command arguments` run whole, then killed once `group` holds `units` work units
    /// (the file must say partial, then pass `unfinished`), then resumed: the resumed file must
    /// hold what the whole run's does. Returns the resumed file.
    private func assertAKilledRunResumes(_ command: String, _ arguments: [String], group: String, units: Int64, pause: Double,
                                         unfinished: (String) throws -> Void) throws -> String {
        let whole = path("whole.h5")
        XCTAssertEqual(try CLI.run([command, "-o", whole] + arguments).status, 0)
        XCTAssertEqual(try status(whole, group), "complete")
        let killed = path("killed.h5")
        XCTAssertGreaterThanOrEqual(try self.killed([command] + arguments, output: killed, group: group, once: units, pause: pause), units)
        XCTAssertEqual(try status(killed, group), "partial", "saved part-way, batch by batch")
        try unfinished(killed)
        let resumed = try CLI.run([command, "-o", killed, "--resume"] + arguments)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try status(killed, group), "complete")
        try assertSameResults(whole, killed, group: group)
        return killed
    }

    func testAKilledRunResumesToExactlyTheUninterruptedResults() throws {
        let data = try makeData()
        let whole = path("whole.h5")
        XCTAssertEqual(try CLI.run(["drop", model, data, "-o", whole, "--batch-size", "2"]).status, 0)
        XCTAssertEqual(try status(whole), "complete")

        let killed = path("killed.h5")
        let unitsDone = try self.killed(["drop", model, data, "--batch-size", "2", "--quiet"], output: killed, group: "drop_one",
                                        once: 3, pause: 0.2)
        XCTAssertGreaterThanOrEqual(unitsDone, 3)
        XCTAssertEqual(try status(killed), "partial", "the killed run left a readable, partial file")

        let resumed = try CLI.run(["drop", model, data, "-o", killed, "--batch-size", "2", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try status(killed), "complete")
        try assertSameResults(whole, killed)

        // Unit numbers mean other variants in work units of another size: such a file is not resumed.
        try File.open(killed, .readWrite).root.group("drop_one").setAttribute("chunk_size", Int64(32))
        let other = try CLI.run(["drop", model, data, "-o", killed, "--batch-size", "2", "--resume"])
        XCTAssertEqual(other.status, 4, other.stderr)
        XCTAssertTrue(other.stderr.contains("/drop_one was made in work units of 32 variants"), other.stderr)
    }

    /// On a large network one batch of a study can take an hour: saves come after each work unit
    /// (a chunk of one experiment's variants on a batch), not only between batches.
    func testAKilledStudyKeepsTheWorkUnitsOfAnUnfinishedBatch() throws {
        let data = try makeData(count: 8)
        // 3 × 30 drop-many sets are two chunks; with drop-one and reorder, four units in one batch.
        let arguments = [model, data, "--batch-size", "8", "--max-k", "3", "--samples", "30", "--max-swaps", "2",
                         "--orders", "3", "--gradient-images", "0", "--probes", "none", "--quiet"]
        let whole = path("whole.h5")
        XCTAssertEqual(try CLI.run(["study", "-o", whole] + arguments).status, 0)

        let killed = path("killed.h5")
        let saved = try self.killed(["study"] + arguments, output: killed, group: "drop_one", once: 1, pause: 1)
        XCTAssertEqual(saved, 1, "drop_one's unit was saved while the batch went on")
        let manyDone = try File.open(killed).root.group("drop_many").attribute("units_done", as: Int64.self)
        XCTAssertLessThan(manyDone, 2, "killed before the batch ended")
        // The report of the unfinished file says so (it showed "no drop-many results", under the name "network").
        let page = path("killed.html")
        let report = try CLI.run(["report", killed, "-o", page])
        XCTAssertEqual(report.status, 0, report.stderr)
        let note = "killed.h5 is unfinished: /drop_many has \(manyDone) of 2 work units"
        XCTAssertTrue(report.stderr.contains("lesion: warning: " + note), report.stderr)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(html.contains(note), "the page says it")
        XCTAssertTrue(html.contains("/drop_many is unfinished (\(manyDone) of 2 work units); run it again with --resume"))
        XCTAssertFalse(html.contains("<tr><th>network</th><td"), "the network is named from /model")

        let resumed = try CLI.run(["study", "-o", killed, "--resume"] + arguments)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        for group in ["drop_one", "drop_many", "reorder"] { try assertSameResults(whole, killed, group: group) }
    }

    /// Exact gradients by path length were written whole at the end: a kill lost them all, and
    /// --resume computed them again even when the file held them complete.
    func testAKilledGradientRunResumesToExactlyTheUninterruptedResults() throws {
        let data = try makeData(count: 8)
        let arguments = [model, data, "--batch-size", "2", "--save-images", "3", "--quiet"]
        let killed = try assertAKilledRunResumes("grads", arguments, group: "grads_exact", units: 2, pause: 0.5) { killed in
            let unfinished = try CLI.run(["merge", killed, "-o", path("merged.h5")])
            XCTAssertEqual(unfinished.status, 3, unfinished.stderr)
            XCTAssertTrue(unfinished.stderr.contains("/grads_exact is unfinished"), unfinished.stderr)
        }

        let again = try CLI.run(["grads", "-o", killed] + arguments)
        XCTAssertEqual(again.status, 4, again.stderr)
        XCTAssertTrue(again.stderr.contains("already holds /grads_exact; use --resume to continue it or --force"), again.stderr)
        let other = try CLI.run(["grads", "-o", killed, "--resume", "--max-length", "3"] + arguments)
        XCTAssertEqual(other.status, 4, other.stderr)
        XCTAssertTrue(other.stderr.contains("/grads_exact was made with other settings"), other.stderr)
    }

    /// Sampled gradients by path length were written whole at the end: a kill lost every sample
    /// drawn, and --resume drew them all again.
    func testAKilledSampledGradientRunResumesToExactlyTheUninterruptedResults() throws {
        let data = try makeData(count: 8)
        // 6 samples over 4 batches: 2, 2, 1 and 1 a batch, so the kill falls between batches that draw.
        let arguments = [model, data, "--method", "sampled", "--samples", "6", "--lengths", "0-3", "--batch-size", "2", "--quiet"]
        let killed = try assertAKilledRunResumes("grads", arguments, group: "grads_sampled", units: 2, pause: 0.5) { killed in
            XCTAssertEqual(try File.open(killed).root.group("grads_sampled").attribute("units_total", as: Int64.self), 4)
        }

        let other = try CLI.run(["grads", "-o", killed, "--resume"] + arguments.map { $0 == "6" ? "5" : $0 })
        XCTAssertEqual(other.status, 4, other.stderr)
        XCTAssertTrue(other.stderr.contains("/grads_sampled was made with other settings"), other.stderr)
    }

    /// A study's highway gates were written whole at the end: a kill lost them, and --resume ran
    /// the intact pass again over every batch done to measure them.
    func testAKilledStudyOfAHighwayNetworkResumesItsGatesToTheUninterruptedResults() throws {
        let data = try makeData(count: 8, size: 16)
        let arguments = [netsFixture("highway.model.h5"), data, "--batch-size", "2", "--max-k", "2", "--samples", "2",
                         "--max-swaps", "1", "--orders", "1", "--gradient-images", "0", "--probes", "none", "--quiet"]
        _ = try assertAKilledRunResumes("study", arguments, group: "highway_gates", units: 2, pause: 0.3) { killed in
            XCTAssertFalse(try File.open(killed).root.contains("highway_gates/mean_gate"), "no means of a part of the data")
        }
    }

    /// The representation probes were written whole at the end: a kill lost every batch they had
    /// scored, and --resume ran them again over the whole data. Their sums are now saved as they
    /// go; the fitted ones fit again on resume and take up their tallies.
    func testAKilledStudyResumesItsProbesToTheUninterruptedResults() throws {
        let data = try makeData(count: 16)
        let arguments = [model, data, "--batch-size", "4", "--max-k", "2", "--samples", "2", "--max-swaps", "1", "--orders", "1",
                         "--gradient-images", "8", "--probes", "lens,linear,cka,inference", "--project", "--quiet"]
        let killed = try assertAKilledRunResumes("study", arguments, group: "cka", units: 2, pause: 0.3) { killed in
            let root = try File.open(killed).root
            XCTAssertFalse(root.contains("cka/matrix"), "no matrix of a part of the data")
            XCTAssertEqual(try root.group("cka").attribute("units_total", as: Int64.self), 4)
            for group in ["lens", "linear_probes", "inference"] { XCTAssertTrue(root.contains("\(group)/raw/rows"), group) }
        }
        for group in ["lens", "linear_probes", "inference"] {
            XCTAssertEqual(try status(killed, group), "complete", group)
            try assertSameResults(path("whole.h5"), killed, group: group)
        }
        let other = try CLI.run(["study", "-o", killed, "--resume"] + arguments.map { $0 == "--project" ? "--ridge=0.5" : $0 })
        XCTAssertEqual(other.status, 4, other.stderr)
        XCTAssertTrue(other.stderr.contains("/lens was made with other settings"), other.stderr)
    }

    /// A probe command's fitting pass runs again on resume, and its scores go on from the save.
    func testAKilledLensWithProjectionsResumesToTheUninterruptedResults() throws {
        let data = try makeData(count: 16)
        _ = try assertAKilledRunResumes("lens", [model, data, "--batch-size", "2", "--project", "--quiet"], group: "lens", units: 3,
                                        pause: 0.3) { killed in
            XCTAssertFalse(try File.open(killed).root.contains("lens/error"), "no errors of a part of the data")
        }
    }

    /// Ctrl-C said nothing: the run just ended. It now says what was kept and how to go on, exits
    /// 130 as shells report an interrupt, and leaves no staging file.
    func testAnInterruptSaysHowToGoOn() throws {
        let data = try makeData()
        let output = path("interrupted.h5")
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["drop", model, data, "-o", output, "--batch-size", "2", "--save-interval", "0",
                             "--pause-after-unit", "0.5", "--quiet"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: output) { Thread.sleep(forTimeInterval: 0.05) }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertTrue(stderr.hasSuffix("lesion: interrupted; the results file holds every finished work unit, and the same "
                                       + "command with --resume goes on\n"), stderr)
        XCTAssertEqual(try status(output), "partial")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".saving-") }
        XCTAssertEqual(left, [])

        // A signal the parent ignores stays ignored: nohup's hangup does not stop the run.
        let detached = Process()
        detached.executableURL = URL(fileURLWithPath: "/usr/bin/nohup")
        detached.arguments = [CLI.binary.path, "drop", model, data, "-o", path("nohup.h5"), "--batch-size", "2",
                              "--pause-after-unit", "0.5", "--quiet"]
        detached.standardOutput = FileHandle.nullDevice
        detached.standardError = FileHandle.nullDevice
        try detached.run()
        Thread.sleep(forTimeInterval: 0.5)
        kill(detached.processIdentifier, SIGHUP)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertTrue(detached.isRunning, "the hangup was ignored")
        kill(detached.processIdentifier, SIGTERM)
        detached.waitUntilExit()
        XCTAssertEqual(detached.terminationStatus, 143)
    }

    func testMergedShardsEqualOneRun() throws {
        let data = try makeData()
        let whole = path("whole.h5")
        XCTAssertEqual(try CLI.run(["study", model, data, "-o", whole, "--batch-size", "4", "--max-k", "3", "--samples", "4",
                                    "--max-swaps", "2", "--orders", "3", "--quiet"]).status, 0)
        var parts: [String] = []
        for i in 0..<3 {
            let part = path("part\(i).h5")
            let result = try CLI.run(["study", model, data, "-o", part, "--batch-size", "4", "--max-k", "3", "--samples", "4",
                                      "--max-swaps", "2", "--orders", "3", "--shard", "\(i)/3", "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(try status(part), "partial")
            parts.append(part)
        }
        // Exact gradients are measured whole, by shard 0 only; the merge finds them in any order.
        XCTAssertTrue(try File.open(parts[0]).root.contains("grads_exact"))
        XCTAssertFalse(try File.open(parts[1]).root.contains("grads_exact"))
        let merged = path("merged.h5")
        let merge = try CLI.run(["merge"] + parts.reversed() + ["-o", merged])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        for group in ["drop_one", "drop_many", "reorder", "paths", "grads_exact"] { try assertSameResults(whole, merged, group: group) }
        let missing = try CLI.run(["merge", parts[0], parts[1], "-o", path("incomplete.h5")])
        XCTAssertEqual(missing.status, 3, "an incomplete set of shards is bad input")
        XCTAssertTrue(missing.stderr.contains("a shard is missing or unfinished"), missing.stderr)
        try assertEveryDatasetIsChecksummed(whole)
        try assertEveryDatasetIsChecksummed(merged)
    }

    /// Shards of another model or dataset, or one shard given twice, were merged as if they were
    /// parts of one run: the file then described one model with numbers from two.
    func testMergeRefusesShardsOfAnotherRun() throws {
        let data = try makeData(count: 8)
        let otherData = try makeData("other.h5", count: 8, labels: [1, 1, 1, 1, 2, 2, 2, 2])
        let otherModel = path("copy.model.h5")
        try FileManager.default.copyItem(atPath: model, toPath: otherModel)
        try File.open(otherModel, .readWrite).root.setAttribute("source", "the same weights, another file")
        func shard(_ i: Int, model: String, data: String, batch: Int = 4) throws -> String {
            let part = path("part\(i)-\(UUID().uuidString.prefix(4)).h5")
            let result = try CLI.run(["drop", model, data, "-o", part, "--batch-size", "\(batch)", "--shard", "\(i)/2", "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
            return part
        }
        let first = try shard(0, model: model, data: data)
        let cases: [(String, [String], Int32, String)] = [
            ("model", [first, try shard(1, model: otherModel, data: data)], 4, "made from another model file than \(first)"),
            ("data", [first, try shard(1, model: model, data: otherData)], 4, "made from another dataset file than \(first)"),
            ("batch", [first, try shard(1, model: model, data: data, batch: 2)], 4, "made with batch size 2, \(first) with 4"),
            ("twice", [first, first], 64, "\(first) is given twice"),
            ("arithmetic", [first, try shard(1, model: model, data: data)], 4,
             " was computed with Unravel numerics 1, oneDNN 2.6.3, avx2 kernels, \(first) with \(Arithmetic.current)"),
        ]
        try File.open(cases[4].1[1], .readWrite).root.setAttribute("arithmetic", "Unravel numerics 1, oneDNN 2.6.3, avx2 kernels")
        for (name, parts, status, message) in cases {
            let output = path("merged-\(name).h5")
            let result = try CLI.run(["merge"] + parts + ["-o", output])
            XCTAssertEqual(result.status, status, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(name): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), name)
        }
        XCTAssertEqual(try CLI.run(["merge", first, try shard(1, model: model, data: data), "-o", path("merged.h5")]).status, 0)
    }

    /// Every numeric dataset with data carries HDF5's Fletcher-32 filter, and bit rot in one is
    /// refused (exit 3, naming the dataset) rather than reported as a result.
    private func assertEveryDatasetIsChecksummed(_ file: String, line: UInt = #line) throws {
        func visit(_ group: Group, _ prefix: String) throws -> [String] {
            var unprotected: [String] = []
            for (name, kind) in try group.members() {
                if kind == .group { unprotected += try visit(try group.group(name), prefix + name + "/"); continue }
                let dataset = try group.dataset(name)
                guard try dataset.storedType != .string, try !dataset.shape.isEmpty, try dataset.shape.reduce(1, *) > 0 else { continue }
                if try !dataset.filters.contains("fletcher32") { unprotected.append(prefix + name) }
            }
            return unprotected
        }
        XCTAssertEqual(try visit(try File.open(file).root, "/"), [], "datasets without a checksum", line: line)

        let damaged = path("damaged.h5")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let errors = try File.open(file).root.dataset("drop_one/error").read(as: Double.self)
        let at = try XCTUnwrap(bytes.range(of: errors.withUnsafeBytes { Data($0) }), line: line).lowerBound
        bytes[at + 2] ^= 0x04
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let report = try CLI.run(["report", damaged, "-o", path("damaged.html")])
        XCTAssertEqual(report.status, 3, report.stderr, line: line)
        // The flipped values begin drop_many's errors too; the error names whichever is read first.
        XCTAssertTrue(report.stderr.contains("/error: cannot read the data") && report.stderr.contains("Fletcher32 checksum"),
                      report.stderr, line: line)
    }

    /// Duplicate and scale: shards merge to the whole run, the file records each variant's actions,
    /// α = 0 gives drop-one's errors, and bad α values are usage errors.
    func testInterventionsShardMergeAndMatchDropOne() throws {
        let data = try makeData()
        let whole = path("whole.h5")
        // Per batch (n = 9): drop-one costs n + Σ (n − b) block evaluations, duplicate one more per variant
        // (over the 7 blocks that keep the shape), scale by 3 values of α three times drop-one's variants.
        let counts = ["drop": "54 (a naive loop: 90)", "duplicate": "52 (a naive loop: 79)", "scale": "144 (a naive loop: 252)"]
        for command in [["duplicate"], ["scale", "--alphas", "0,0.5,2"], ["drop"]] {
            let result = try CLI.run(command + [model, data, "-o", whole, "--batch-size", "8", "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("block evaluations per batch: \(counts[command[0]]!)"), result.stdout)
        }
        XCTAssertEqual(try CLI.run(["reinit", model, data, "-o", whole, "--batch-size", "8", "--seed", "5", "--quiet"]).status, 0)
        XCTAssertEqual(try CLI.run(["ablate", "--mean", model, data, "-o", whole, "--batch-size", "8", "--quiet"]).status, 0)
        XCTAssertEqual(try File.open(whole).root.dataset("ablate_means/block_3").shape, [32, 16, 16])
        // The report draws each intervention, one figure each (scale: one per network).
        let figures = path("figures")
        XCTAssertEqual(try CLI.run(["report", whole, "-o", path("whole.html"), "--figures", figures]).status, 0)
        let drawn = Set(try FileManager.default.contentsOfDirectory(atPath: figures))
        XCTAssertTrue(drawn.isSuperset(of: ["duplicate.svg", "ablate.svg", "reinit.svg", "scale-0.svg", "drop-one.svg"]), "\(drawn.sorted())")
        let scale = try String(contentsOfFile: figures + "/scale-0.svg", encoding: .utf8)
        for alpha in ["α = 0", "α = 0.5", "α = 2"] { XCTAssertTrue(scale.contains(alpha), alpha) }
        XCTAssertEqual(try CLI.run(["ablate", model, data, "-o", path("no-mean.h5")]).status, 64, "--mean is required")
        for (command, group) in [(["scale", "--alphas", "0,0.5,2"], "scale"), (["reinit", "--seed", "5"], "reinit"),
                                 (["ablate", "--mean"], "ablate")] {
            var parts: [String] = []
            for i in 0..<2 {
                let part = path("\(group)\(i).h5")
                XCTAssertEqual(try CLI.run(command + [model, data, "-o", part, "--batch-size", "8", "--shard", "\(i)/2", "--quiet"]).status, 0)
                parts.append(part)
            }
            let merged = path("\(group)-merged.h5")
            let merge = try CLI.run(["merge"] + parts + ["-o", merged])
            XCTAssertEqual(merge.status, 0, merge.stderr)
            try assertSameResults(whole, merged, group: group)
        }
        let otherSeed = try CLI.run(["reinit", model, data, "-o", whole, "--batch-size", "8", "--seed", "6", "--resume", "--quiet"])
        XCTAssertEqual(otherSeed.status, 4, "a resume with another seed is another experiment: \(otherSeed.stderr)")

        let root = try File.open(whole).root
        let actions = try root.dataset("scale/variants/actions")
        XCTAssertEqual(try actions.shape, [1 + 9 * 3, 9], "intact, then 3 scales for each of the 9 blocks")
        let alpha = try root.dataset("scale/variants/alpha").read(as: Double.self)
        let scaleError = try root.dataset("scale/error").read(as: Double.self)
        let dropError = try root.dataset("drop_one/error").read(as: Double.self)
        let zeroRows = alpha.indices.filter { alpha[$0] == 0 }
        XCTAssertEqual(zeroRows.map { scaleError[$0] }, Array(dropError.dropFirst()), "α = 0 is the lesion")
        XCTAssertEqual(try root.dataset("duplicate/variants/block").read(as: Double.self), [-1, 0, 1, 2, 4, 5, 7, 8])

        for bad in ["1,nan", "a,b", ""] {
            let result = try CLI.run(["scale", model, data, "-o", path("bad.h5"), "--alphas", bad])
            XCTAssertEqual(result.status, 64, "--alphas \(bad): \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad.h5")))
    }

    /// --recalibrate-bn writes a second group beside the stale-statistics one, for the same variants.
    func testRecalibratedBatchNormsSitBesideTheStaleOnes() throws {
        let preact = netsFixture("preact20_a.model.h5")
        let data = try makeData()
        let out = path("recal.h5")
        let result = try CLI.run(["drop", preact, data, "-o", out, "--batch-size", "8", "--recalibrate-bn", "--recalibrate-limit", "16"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("with batch norms re-estimated on 16 images, drop one block"), result.stdout)
        // The walk over the recalibration images shares the intact prefix across the sweep: n − 1
        // steps to reach the last block, and each variant from its dropped block, Σ (n − i).
        let n = 9
        let walk = (n - 1) + (0..<n).reduce(0) { $0 + (n - $1) }
        XCTAssertTrue(result.stdout.contains("batch-norm re-estimation: \(walk) block evaluations per recalibration image (a naive loop: \(n * (n + 1)))"),
                      result.stdout)
        let root = try File.open(out).root
        let settings = try root.group("drop_one_recalibrated").stringAttribute("settings")
        XCTAssertEqual(try JSONDecoder().decode([String: String].self, from: Data(settings.utf8))["recalibration_images"], "16")
        let stale = try root.dataset("drop_one/error").read(as: Double.self)
        let fresh = try root.dataset("drop_one_recalibrated/error").read(as: Double.self)
        XCTAssertEqual(stale.count, fresh.count)
        XCTAssertEqual(stale[0], fresh[0], "the intact network has nothing to re-estimate")
        for bad in [["--recalibrate-limit", "0"], ["--recalibrate-limit", "-3"]] {
            XCTAssertEqual(try CLI.run(["drop", preact, data, "-o", path("bad.h5"), "--recalibrate-bn"] + bad).status, 64, "\(bad)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad.h5")))
    }

    func testGradientsByPathLengthAddUpAndFindTheEffectivePaths() throws {
        let data = try makeData(count: 8)
        let output = path("grads.h5")
        let exact = try CLI.run(["grads", model, data, "-o", output, "--method", "exact", "--batch-size", "4", "--json"])
        XCTAssertEqual(exact.status, 0, exact.stderr)
        let report = (try JSONSerialization.jsonObject(with: Data(exact.stdout.utf8)) as? [[String: Any]])?.first
        XCTAssertEqual(report?["method"] as? String, "exact")
        XCTAssertEqual((report?["lengths"] as? [Any])?.count, 10)
        let group = try File.open(output).root.group("grads_exact")
        XCTAssertLessThan(try group.attribute("sum_check_relative_error", as: Double.self), 1e-5, "Σ c_k is the input gradient")
        XCTAssertEqual(try group.dataset("path_count").readStrings(), ["1", "9", "36", "84", "126", "126", "84", "36", "9", "1"])

        let sampled = try CLI.run(["grads", model, data, "-o", output, "--method", "sampled", "--samples", "3",
                                   "--lengths", "0-4", "--batch-size", "4", "--force"])
        XCTAssertEqual(sampled.status, 0, sampled.stderr)
        let samples = try File.open(output).root.group("grads_sampled").dataset("samples")
        XCTAssertEqual(try samples.shape, [5, 3])
        XCTAssertTrue(try samples.read(as: Double.self).allSatisfy { $0 > 0 && $0.isFinite })
        XCTAssertTrue(try File.open(output).root.contains("grads_exact"), "the other group stays")
    }

    /// --save-images keeps each image's gradient per path length: the lengths add up to the input
    /// gradient `lesion predict` computes by ordinary backpropagation, and the report draws them.
    func testSavedImagesCarryTheirGradientByLengthIntoTheReport() throws {
        let data = try makeData(count: 6)
        let output = path("saved.h5")
        let run = try CLI.run(["grads", model, data, "-o", output, "--method", "exact", "--batch-size", "2", "--save-images", "3", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let group = try File.open(output).root.group("grads_exact")
        XCTAssertEqual(try group.dataset("saved_images").shape, [3, 3, 32, 32])
        XCTAssertEqual(try group.dataset("saved_gradients").shape, [3, 10, 3, 32, 32])
        let perLength = try group.dataset("saved_gradients").read(as: Float.self)
        let predictions = path("predictions.h5")
        XCTAssertEqual(try CLI.run(["predict", model, data, "-o", predictions, "--input-gradients", "--limit", "3"]).status, 0)
        let full = try File.open(predictions).root.dataset("input_gradients").read(as: Float.self)
        let size = 3 * 32 * 32
        // Both differentiate each image's own cross-entropy, so batches of 2 and of 128 agree.
        for image in 0..<3 {
            var worst = 0.0, scale = 0.0
            for p in 0..<size {
                let sum = (0..<10).map { Double(perLength[(image * 10 + $0) * size + p]) }.reduce(0, +)
                worst = max(worst, abs(sum - Double(full[image * size + p])))
                scale = max(scale, abs(Double(full[image * size + p])))
            }
            XCTAssertLessThan(worst, 1e-4 * scale, "image \(image): Σ_k c_k is the input gradient")
        }
        XCTAssertEqual(try CLI.run(["grads", model, data, "-o", path("x.h5"), "--method", "sampled", "--save-images", "1"]).status, 64)
        let report = path("saved.html")
        XCTAssertEqual(try CLI.run(["report", output, "-o", report]).status, 0)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(html.contains("<h2>Pictures of paths</h2>"))
        XCTAssertEqual(html.components(separatedBy: "of the row's sum").count - 1, 9, "three images, three maps each")
    }

    /// The report draws every figure from a study's results file and lists the provenance.
    func testTheReportDrawsEveryFigure() throws {
        let data = try makeData(count: 8)
        let results = path("study.h5"), page = path("report.html")
        XCTAssertEqual(try CLI.run(["study", model, data, "-o", results, "--batch-size", "4", "--max-k", "2", "--samples", "2",
                                    "--max-swaps", "1", "--orders", "2", "--probes", "lens,linear,cka,inference", "--quiet"]).status, 0)
        let figures = path("figures")
        let report = try CLI.run(["report", results, "-o", page, "--figures", figures])
        XCTAssertEqual(report.status, 0, report.stderr)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 11, "seven lesion and path figures, four of the probes")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: figures).sorted(),
                       ["cka-0.svg", "drop-many.svg", "drop-one-classes-0.svg", "drop-one.svg", "gradient-per-path.svg", "gradient-total.svg",
                        "inference.svg", "lens.svg", "linear-probes.svg", "path-lengths.svg", "reorder.svg"])
        XCTAssertTrue(html.contains("<h2>The answer</h2>") && html.contains("<table class=\"verdict\">"), "the verdict comes first")
        for figure in ["drop-one", "reorder"] {   // paired 95% intervals, drawn as bars
            let svg = try String(contentsOfFile: figures + "/\(figure).svg", encoding: .utf8)
            XCTAssertGreaterThan(svg.components(separatedBy: "stroke-opacity=\"0.55\"").count - 1, 0, figure)
        }
        XCTAssertLessThan(html.range(of: "The answer")!.lowerBound, html.range(of: "<svg")!.lowerBound)
        XCTAssertFalse(html.contains("no data"))
        for title in ["Error when one block is removed", "Error when k random blocks are removed", "Kendall τ",
                      "Distribution of path lengths", "Gradient magnitude per path", "Total gradient contribution"] {
            XCTAssertTrue(html.contains(title), title)
        }
        XCTAssertTrue(html.contains("model_sha256") && html.contains("data_sha256"), "provenance table")
        XCTAssertFalse(html.contains("<script") || html.contains("http://") && !html.contains("http://www.w3.org/2000/svg"),
                       "self-contained: no scripts, no external resources")
        let notResults = try CLI.run(["report", model, "-o", path("bad.html")])
        XCTAssertEqual(notResults.status, 3)
        XCTAssertTrue(notResults.stderr.contains("not an Unravel results file"), notResults.stderr)
    }

    /// A results file from a newer Unravel is refused by every reader and writer, and a file
    /// that is not a results file is never rewritten as one; both stay byte for byte as they were.
    func testANewerResultsFileAndAForeignFileAreLeftAlone() throws {
        let data = try makeData(count: 8)
        let newer = path("newer.h5")
        XCTAssertEqual(try CLI.run(["drop", model, data, "-o", newer, "--batch-size", "4", "--quiet"]).status, 0)
        do {   // as a later version would write it
            try File.open(newer, .readWrite).root.setAttribute("format_version", Int64(2))
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: newer))
        let runs: [[String]] = [
            ["report", newer, "-o", path("r.html")],
            ["drop", model, data, "-o", newer, "--batch-size", "4", "--resume"],
            ["reorder", model, data, "-o", newer, "--batch-size", "4", "--max-swaps", "1", "--samples", "1"],
            ["merge", newer, "-o", path("merged.h5")],
        ]
        for arguments in runs {
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 3, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("newer.h5: results format version 2 is newer than this Unravel reads (1)"),
                          "\(arguments): \(result.stderr)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: newer)), before)

        let copy = path("model-copy.h5")
        try FileManager.default.copyItem(atPath: model, toPath: copy)
        let original = try Data(contentsOf: URL(fileURLWithPath: copy))
        let foreign = try CLI.run(["drop", model, data, "-o", copy, "--batch-size", "4", "--resume"])
        XCTAssertEqual(foreign.status, 3, foreign.stderr)
        XCTAssertTrue(foreign.stderr.contains("model-copy.h5: not an Unravel results file"), foreign.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), original)
    }

    /// One results file holds one model's results on one dataset: a run on another model or on
    /// other data is refused (exit 4) before it can relabel what the file holds.
    func testAResultsFileRefusesAnotherModelOrOtherData() throws {
        let data = try makeData(count: 8)
        let out = path("results.h5")
        XCTAssertEqual(try CLI.run(["drop", model, data, "-o", out, "--batch-size", "4", "--quiet"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let otherModel = try CLI.run(["reorder", netsFixture("resnet20_b.model.h5"), data, "-o", out, "--batch-size", "4",
                                      "--max-swaps", "1", "--samples", "1", "--quiet"])
        XCTAssertEqual(otherModel.status, 4, otherModel.stderr)
        XCTAssertTrue(otherModel.stderr.contains("results.h5 holds results for the model \(model)"), otherModel.stderr)
        let otherData = try makeData("other.h5", count: 9)
        let second = try CLI.run(["reorder", model, otherData, "-o", out, "--batch-size", "4", "--max-swaps", "1",
                                  "--samples", "1", "--quiet"])
        XCTAssertEqual(second.status, 4, second.stderr)
        XCTAssertTrue(second.stderr.contains("holds results for the data \(data)"), second.stderr)
        // The verdict measures every experiment's damage from drop-one's intact error: results on
        // other images (--limit) would be judged against another intact error. The root records one
        // batch size, which --resume checks.
        let fewer = try CLI.run(["reorder", model, data, "-o", out, "--batch-size", "4", "--limit", "4", "--max-swaps", "1",
                                 "--samples", "1", "--quiet"])
        XCTAssertEqual(fewer.status, 4, fewer.stderr)
        XCTAssertTrue(fewer.stderr.contains("results.h5 holds results on 8 images, this run uses 4; give --limit 8"), fewer.stderr)
        let otherBatch = try CLI.run(["reorder", model, data, "-o", out, "--batch-size", "2", "--max-swaps", "1",
                                      "--samples", "1", "--quiet"])
        XCTAssertEqual(otherBatch.status, 4, otherBatch.stderr)
        XCTAssertTrue(otherBatch.stderr.contains("results.h5 holds results made with batch size 4, not 2; give --batch-size 4"),
                      otherBatch.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), before)
        XCTAssertEqual(try CLI.run(["reorder", model, data, "-o", out, "--batch-size", "4", "--max-swaps", "1",
                                    "--samples", "1", "--quiet"]).status, 0, "the same model and data add to it")
    }

    /// Results computed under another arithmetic (an Unravel whose kernels round differently,
    /// another oneDNN, a CPU whose kernels differ) were resumed and added to: a file then mixed
    /// two roundings, within one experiment after --resume.
    func testAResultsFileRefusesResultsOfAnotherArithmetic() throws {
        let data = try makeData(count: 8)
        let out = path("results.h5")
        XCTAssertEqual(try CLI.run(["drop", model, data, "-o", out, "--batch-size", "4", "--quiet"]).status, 0)
        let recorded = try File.open(out).root.stringAttribute("arithmetic")
        XCTAssertEqual(recorded, Arithmetic.current)
        XCTAssertTrue(recorded.hasPrefix("Unravel numerics \(Arithmetic.numericsVersion), oneDNN 2."), recorded)
        let older = "Unravel numerics 1, oneDNN 2.6.3, avx512_core kernels"
        let resume = ["drop", model, data, "-o", out, "--batch-size", "4", "--resume", "--quiet"]
        let add = ["reorder", model, data, "-o", out, "--batch-size", "4", "--max-swaps", "1", "--samples", "1", "--quiet"]
        for (held, said) in [(older, older), (nil, "an arithmetic the Unravel that made it did not record")] {
            do {
                let root = try File.open(out, .readWrite).root
                if let held { try root.setAttribute("arithmetic", held) } else { try root.removeAttribute("arithmetic") }
            }
            let before = try Data(contentsOf: URL(fileURLWithPath: out))
            for arguments in [resume, add] {
                let result = try CLI.run(arguments)
                XCTAssertEqual(result.status, 4, result.stderr)
                XCTAssertTrue(result.stderr.contains("results.h5 holds results computed with \(said); this run's is \(recorded)"),
                              result.stderr)
                XCTAssertTrue(result.stderr.contains("finish it with the Unravel and the kind of CPU that began it"), result.stderr)
            }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), before, "nothing written")
        }
        try File.open(out, .readWrite).root.setAttribute("arithmetic", recorded)
        XCTAssertEqual(try CLI.run(add).status, 0, "the same arithmetic adds to it")
    }

    func testASecondWriterIsRefused() throws {
        let data = try makeData()
        let output = path("busy.h5")
        let first = Process()
        first.executableURL = CLI.binary
        first.arguments = ["drop", model, data, "-o", output, "--batch-size", "2", "--pause-after-unit", "0.5", "--quiet"]
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        defer { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: output + ".lock") { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.3)
        let second = try CLI.run(["drop", model, data, "-o", output, "--batch-size", "2", "--resume"])
        XCTAssertEqual(second.status, 4)
        XCTAssertTrue(second.stderr.contains("is being written by another process (pid \(first.processIdentifier))"), second.stderr)
    }

    func testExistingResultsAreNotSilentlyReplaced() throws {
        let data = try makeData(count: 4)
        let output = path("r.h5")
        XCTAssertEqual(try CLI.run(["drop", model, data, "-o", output]).status, 0)
        let again = try CLI.run(["drop", model, data, "-o", output])
        XCTAssertEqual(again.status, 4)
        XCTAssertTrue(again.stderr.contains("already holds /drop_one; use --resume"), again.stderr)
        XCTAssertEqual(try CLI.run(["drop", model, data, "-o", output, "--force"]).status, 0)
        let otherData = try makeData("other.h5", count: 4, labels: [1, 1, 1, 1])
        let mismatch = try CLI.run(["drop", model, otherData, "-o", output, "--resume"])
        XCTAssertEqual(mismatch.status, 4)
        XCTAssertTrue(mismatch.stderr.contains("r.h5 holds results for the data \(data)"), mismatch.stderr)
    }

    func testBadInputIsRefusedAndWritesNothing() throws {
        let cases: [(String, [String], String)] = [
            ("misfit", [model, try makeData("small.h5", count: 2, size: 16)], "images are 3x16x16 (CxHxW), but the model"),
            ("labels", [model, try makeData("labels.h5", count: 3, labels: [0, 10, 2])], "/labels holds 10 at image 1, but the model"),
            ("empty", [model, try makeData("empty.h5", count: 0)], "the dataset holds no images"),
        ]
        for (name, inputs, message) in cases {
            let output = path("results-\(name).h5")
            let result = try CLI.run(["drop"] + inputs + ["-o", output])
            XCTAssertEqual(result.status, 3, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(name): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(name) wrote a results file")
        }
        let nowhere = path("missing/folder/results.h5")
        let result = try CLI.run(["drop", model, try makeData("ok.h5", count: 2), "-o", nowhere])
        XCTAssertEqual(result.status, 64, "an output in a folder that does not exist is bad usage")
        XCTAssertTrue(result.stderr.contains("does not exist"), result.stderr)
    }

    /// An output that is a folder is bad usage before any work, even with --force. predict and
    /// convert once did all their work and then failed to move the file into place (exit 1), and
    /// the HDF5 outputs reported libhdf5's read failure.
    func testAFolderAsTheOutputIsBadUsage() throws {
        let data = try makeData("ok.h5", count: 2)
        let folder = path("out.h5")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let results = path("results.h5")
        XCTAssertEqual(try CLI.run(["drop", model, data, "-o", results]).status, 0)
        let cases: [[String]] = [
            ["drop", model, data, "-o", folder], ["drop", model, data, "-o", folder, "--force"],
            ["predict", model, data, "-o", folder, "--force"], ["convert", model, "-o", folder, "--force"],
            ["merge", results, "-o", folder, "--force"], ["report", results, "-o", folder],
        ]
        for arguments in cases {
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("folder"), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("HDF5"), "\(arguments): \(result.stderr)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [], "nothing written into it")
        // And the other way round: a file where --figures wants a folder (it exited 1).
        let figures = try CLI.run(["report", results, "-o", path("r.html"), "--figures", data])
        XCTAssertEqual(figures.status, 64, figures.stderr)
        XCTAssertTrue(figures.stderr.contains("is a file; --figures takes a folder"), figures.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("r.html")), "nothing written")
    }

    /// Arguments no run can use are usage errors (64) that name the flag, found before any work;
    /// they once came out of the library as bad input (3) with the flag named there.
    func testUsageErrorsExitWith64AndNameTheFlag() throws {
        let data = try makeData(count: 4)
        let cases: [([String], String)] = [
            (["grads", model, data, "--samples", "0", "--method", "sampled"], "--samples must be positive"),
            (["grads", model, data, "--max-length=-1"], "--max-length must be at least 0"),
            (["grads", model, data, "--lengths", "5-2"], "--lengths takes A-B"),
            (["drop", model, data, "--shard", "4/4"], "--shard"),
            (["drop", model, data, "--shard", "half"], "--shard"),
            (["drop-many", model, data, "--max-k", "0"], "--max-k must be positive"),
            (["reorder", model, data, "--max-swaps", "0"], "--max-swaps must be positive"),
            (["study", model, data, "--orders", "0"], "--orders must be positive"),
            (["study", model, data, "--gradient-images", "-1"], "--gradient-images"),
        ]
        for (arguments, message) in cases {
            let output = path("never.h5")
            let result = try CLI.run(arguments + ["-o", output])
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(arguments) wrote a results file")
        }
    }

    /// A study does the experiments a network allows and lists the others: ResNet-8 has one block
    /// per stage, so no two blocks can be swapped (this once stopped the whole study with exit 3).
    func testAStudyLeavesOutWhatTheNetworkCannotDo() throws {
        let output = path("r8.h5")
        let result = try CLI.run(["study", netsFixture("resnet8_c.model.h5"), try makeData(count: 8, size: 16), "-o", output,
                                  "--batch-size", "4", "--max-k", "2", "--samples", "2", "--gradient-images", "4", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("reorder left out: no two blocks of this network have compatible shapes"), result.stderr)
        XCTAssertTrue(result.stdout.contains("reorder: left out: no two blocks"), result.stdout)
        let root = try File.open(output).root
        XCTAssertTrue(root.contains("drop_one") && root.contains("drop_many"))
        XCTAssertFalse(root.contains("reorder"))
        // --json carries the same verdict per network, reorder not measured.
        let json = try CLI.run(["study", netsFixture("resnet8_c.model.h5"), path("data.h5"), "-o", output, "--batch-size", "4",
                                "--max-k", "2", "--samples", "2", "--gradient-images", "4", "--quiet", "--json", "--force"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let network = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])?.first)
        let verdict = try XCTUnwrap(network["verdict"] as? [String: Any])
        let findings = try XCTUnwrap(verdict["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.map { $0["criterion"] as? String }, ["single removals are mild", "damage grows smoothly with k",
                                                                     "reordering degrades smoothly", "gradient comes from short paths"])
        XCTAssertEqual(findings[2]["outcome"] as? String, "not measured")
        XCTAssertNotNil(verdict["overall"] as? String)
        XCTAssertEqual((network["leftOut"] as? [[String: Any]])?.first?["experiment"] as? String, "reorder")
        let alone = try CLI.run(["reorder", netsFixture("resnet8_c.model.h5"), try makeData("d16.h5", count: 8, size: 16), "-o", path("x.h5")])
        XCTAssertEqual(alone.status, 3, "asked for alone, reorder cannot be done on this network: \(alone.stderr)")
    }
}
