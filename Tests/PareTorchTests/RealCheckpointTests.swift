import Foundation
import PareCore
import Testing
@testable import PareTorch

/// Checkpoints written by torch.save (fixtures/torch/make_torch_fixtures.py) read exactly as
/// torch.load returns them: names, dtypes, shapes and SHA-256 of the bytes.
@Suite struct RealCheckpointTests {

    @Test(arguments: ["cnn.pt", "mixed_dtypes.pt", "shared_views.pt", "nested.pt", "protocol4.pt",
                      "big_endian.pt", "deflated_pickle.pt", "full_model.pt"])
    func readsLikeTorch(_ file: String) throws {
        let want = try #require(try Fixtures.json("torch/expected.json")[file] as? [String: Any])
        // A pickled module (TV-P23) needs --lenient-pickle; its names are then the state_dict keys.
        var options = TorchReadOptions()
        options.lenientPickle = file == "full_model.pt"
        let ckpt = try TorchCheckpointReader.load(path: Fixtures.path("torch/\(file)"), options: options)
        let tensors = try #require(want["tensors"] as? [[String: Any]])
        #expect(ckpt.weights.tensors.map(\.name) == tensors.map { $0["name"] as? String ?? "" })
        for (got, w) in zip(ckpt.weights.tensors, tensors) {
            #expect(got.dtype.name == w["dtype"] as? String, "\(file) \(got.name)")
            #expect(got.shape == (w["shape"] as? [Int] ?? []).map(Int64.init), "\(file) \(got.name)")
            #expect(SHA256.hex(got.data.bytes) == w["sha256"] as? String, "\(file) \(got.name)")
        }
        #expect(ckpt.weights.otherValues.map(\.name) == want["others"] as? [String])
        #expect(!ckpt.diagnostics.contains { $0.severity == .error })
    }

    @Test func pickledModuleNeedsLenientMode() throws {
        #expect { _ = try TorchCheckpointReader.read(path: Fixtures.path("torch/full_model.pt")) } throws: {
            ($0 as? PareError)?.message.contains("__main__.TinyCNN") == true
        }
    }

    @Test func nestedCheckpointNamesAndOtherValues() throws {
        let set = try TorchCheckpointReader.read(path: Fixtures.path("torch/nested.pt"))
        #expect(set["state_dict.conv1.weight"]?.shape == [8, 1, 3, 3])
        #expect(set["optimizer.state.0.momentum_buffer"]?.shape == [8, 1, 3, 3])
        #expect(set["state_dict.bn1.num_batches_tracked"]?.dtype == .int64)
        let others = Dictionary(uniqueKeysWithValues: set.otherValues.map { ($0.name, $0.description) })
        #expect(others["epoch"] == "int 3")
        #expect(others["best_acc"] == "float 0.91")
        #expect(others["arch"] == "'tinycnn'")
        #expect(others["optimizer.param_groups"]?.hasPrefix("list of 1") == true)
    }

    @Test func contiguousViewsStayInTheMappedFile() throws {
        let ckpt = try TorchCheckpointReader.load(path: Fixtures.path("torch/shared_views.pt"))
        let set = ckpt.weights
        let base = try #require(set["base"]), row = try #require(set["row"]), grid = try #require(set["grid"])
        let b = Int(bitPattern: base.data.bytes.baseAddress)
        // `row` is base[6:12]: a slice of the same storage bytes, no copy.
        #expect(Int(bitPattern: row.data.bytes.baseAddress) == b + 6 * 4)
        #expect(Int(bitPattern: grid.data.bytes.baseAddress) == b)
        #expect(b % 64 == 0)  // torch.save aligns storages to 64 bytes
        // The transposed view is materialised row-major: element [i][j] = grid[j][i].
        let t = try #require(set["transposed"])
        #expect(t.shape == [6, 4])
        let values = t.data.bytes.bindMemory(to: Float.self)
        #expect(values[1] == 6 && values[4] == 1)
        let expanded = try #require(set["expanded"])
        #expect(expanded.data.bytes.bindMemory(to: Float.self).allSatisfy { $0 == 1 })
        // Tied weights and overlapping views are recorded as aliases (PT-14).
        let aliases = Dictionary(uniqueKeysWithValues: ckpt.aliases.map { ($0.name, $0.of) })
        #expect(aliases["tied_b"] == "tied_a")
        #expect(aliases["row"] == "base")
        #expect(aliases["transposed"] == "base")
        #expect(ckpt.diagnostics.contains { $0.rule == "PT-14" })
    }

    @Test func repackedArchiveReportsUnalignedStorages() throws {
        let ckpt = try TorchCheckpointReader.load(path: Fixtures.path("torch/deflated_pickle.pt"))
        #expect(ckpt.diagnostics.contains { $0.rule == "PT-08" })
    }
}
