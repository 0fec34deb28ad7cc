import Foundation
import PareCore
import Testing
@testable import PareTorch

/// The hostile corpus of fixtures/security/pickle (make_pickle_vectors.py): every file is refused
/// with the rule it is named after, and for payload files the canary the payload would create —
/// proven live by the generator, which ran each payload under Python's own unpickler — does not
/// exist after Pare read the file: no code ran.
@Suite struct SecurityCorpusTests {
    static func vectors() throws -> [(name: String, info: [String: Any])] {
        try Fixtures.json("security/pickle/expected.json").sorted { $0.key < $1.key }
            .map { ($0.key, $0.value as? [String: Any] ?? [:]) }
    }

    @Test func everyVectorIsRefusedWithItsRuleAndRunsNothing() throws {
        let all = try Self.vectors()
        #expect(all.count > 50)
        for (name, info) in all {
            let path = Fixtures.path("security/pickle/\(info["file"] as? String ?? "")")
            let canary = info["canary"] as? String
            if let canary {
                #expect(info["live"] as? Bool == true, "\(name): the generator did not prove the payload live")
                try? FileManager.default.removeItem(atPath: canary)
            }
            let outcome: String
            do {
                _ = try TorchCheckpointReader.load(path: path)
                outcome = "accepted"
            } catch let e as PareError {
                outcome = e.description
            }
            if let rule = info["rule"] as? String {
                #expect(outcome.contains("(rule \(rule))"), "\(name): \(outcome)")
            } else {
                #expect(outcome == "accepted", "\(name): \(outcome)")
            }
            if let canary {
                #expect(!FileManager.default.fileExists(atPath: canary), "\(name): \(canary) exists: code ran")
            }
        }
    }

    @Test func deniedGlobalsAreNamedInTheError() throws {
        func message(_ name: String) throws -> String {
            do { _ = try TorchCheckpointReader.load(path: Fixtures.path("security/pickle/\(name).pt")) } catch let e as PareError {
                return e.description
            }
            return "accepted"
        }
        #expect(try message("PK-04-global-os-system").contains("os.system, which Pare never calls"))
        #expect(try message("PK-04-global-py2-builtin-eval").contains("builtins.eval"))
        #expect(try message("PK-04-stack-global-torch-os-walk").contains("torch.os.system"))
        #expect(try message("PK-02-inst-os-system").contains("INST"))
        #expect(try message("PK-02-inst-os-system").contains("os.system"))
        #expect(try message("PK-03-load-from-bytes-nested-pickle").contains("torch.storage._load_from_bytes"))
        #expect(try message("PK-05-binunicode-4gib").contains("byte 2"))  // PK-05 carries the offset
        #expect(try message("ZIP-01-truncated").contains("of \(try fileSize("ZIP-01-truncated")) bytes"))
        #expect(try message("PT-11-torchscript-real").contains("state_dict"))  // the hint
    }

    func fileSize(_ name: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: Fixtures.path("security/pickle/\(name).pt"))[.size] as? Int ?? -1
    }

    /// `--lenient-pickle`: unknown globals become inert values and the tensors still load; the
    /// always-deny list still applies.
    @Test func lenientModeKeepsUnknownGlobalsInertButNeverDeniedOnes() throws {
        var lenient = TorchReadOptions()
        lenient.lenientPickle = true
        let numpy = try TorchCheckpointReader.load(path: Fixtures.path("security/pickle/PK-03-numpy-reconstruct.pt"), options: lenient)
        #expect(numpy.weights["w"]?.shape == [2, 3])
        #expect(numpy.diagnostics.contains { $0.rule == "PK-03" && $0.severity == .warning })
        let lightning = try TorchCheckpointReader.load(path: Fixtures.path("security/pickle/PK-03-argparse-namespace.pt"), options: lenient)
        #expect(lightning.weights["state_dict.w"]?.shape == [2, 3])
        #expect(lightning.weights.otherValues.contains { $0.name == "hyper_parameters" && $0.description == "object argparse.Namespace" })
        for name in ["PK-04-global-os-system", "PK-04-build-setstate-os-system", "PK-04-getattr-escape"] {
            #expect { _ = try TorchCheckpointReader.load(path: Fixtures.path("security/pickle/\(name).pt"), options: lenient) } throws: {
                ($0 as? PareError)?.message.contains("(rule PK-04)") == true
            }
        }
    }

    /// TV-P26: protocol 4 is read by default and refused under --strict-pickle.
    @Test func strictPickleRefusesProtocol4Framing() throws {
        var strict = TorchReadOptions()
        strict.strictPickle = true
        #expect(try TorchCheckpointReader.read(path: Fixtures.path("torch/protocol4.pt")).tensors.count == 11)
        #expect { _ = try TorchCheckpointReader.load(path: Fixtures.path("torch/protocol4.pt"), options: strict) } throws: {
            ($0 as? PareError)?.message.contains("(rule PK-02)") == true
        }
        #expect(try TorchCheckpointReader.load(path: Fixtures.path("torch/cnn.pt"), options: strict).weights.tensors.count == 11)
    }

    /// TV-P07: shared memo references are never copied and walks terminate on cycles.
    @Test func memoAmplificationAndCyclesStaySmall() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let ckpt = try TorchCheckpointReader.load(path: Fixtures.path("security/pickle/ok-memo-amplification.pt"))
        #expect(clock.now - start < .seconds(5))
        #expect(ckpt.weights.tensors.map(\.name) == ["w"])
        let others = Dictionary(uniqueKeysWithValues: ckpt.weights.otherValues.map { ($0.name, $0.description) })
        #expect(others["bomb"]?.hasPrefix("list of 1000") == true)
        #expect(others["cycle"]?.hasPrefix("list of 1") == true)
    }
}
