import Foundation
import PareCore
import PareIR
import Testing
@testable import PareONNX

@Suite struct HostileInputTests {
    func encoded(_ model: Model) throws -> [UInt8] {
        let dir = TempDir()
        _ = try ONNXWriter.write(model, to: dir.file("m.onnx"), resolver: nil)
        return Array(try Data(contentsOf: URL(fileURLWithPath: dir.file("m.onnx"))))
    }

    func read(_ bytes: [UInt8]) throws -> LoadedModel {
        let holder = TensorData(copying: bytes)
        return try ONNXReader.read(holder.bytes, path: "mem.onnx", owner: holder)
    }

    @Test func everyTruncationIsAnErrorOrAValidPrefix() throws {
        let bytes = try encoded(ModelFactory.convRelu(channels: 64))
        var errors = 0
        for cut in 0..<bytes.count where cut % 7 == 0 || cut < 64 {
            do { _ = try read(Array(bytes[0..<cut])) } catch is PareError { errors += 1 }
        }
        // Nearly every cut lands inside a field and must be refused; none may crash.
        #expect(errors > 100)
    }

    @Test func deepNestingIsRefusedBeforeProtobufC() throws {
        // Graph → Node(1) → Attribute(5) → Graph(6) …, 10,000 levels, built from the inside out.
        var inner: [UInt8] = []
        func wrap(_ field: UInt64, _ payload: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            appendVarint(field << 3 | 2, &out)
            appendVarint(UInt64(payload.count), &out)
            return out + payload
        }
        for _ in 0..<10_000 {
            inner = wrap(1, wrap(5, wrap(6, inner)))  // graph.node → node.attribute → attribute.g
        }
        let model = [0x08, 0x08] + wrap(7, inner)
        #expect {
            _ = try read(model)
        } throws: { ($0 as? PareError)?.message.contains("SEC-07") == true }
    }

    @Test func hugeLengthsAndBadWireTypesAreRefused() throws {
        let cases: [[UInt8]] = [
            [0x3A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],                   // graph with a 4 GiB length
            [0x3A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02],  // 11-byte varint
            [0x0B],                                                 // wire type 3 (group start)
            [0x0E, 0x00],                                           // wire type 6
            [0x08],                                                 // varint cut off
            [0x00, 0x00],                                           // field number 0
            [],                                                     // empty file
        ]
        for bytes in cases {
            #expect(throws: PareError.self) { _ = try read(bytes) }
        }
    }

    @Test func nulInANameIsReported() throws {
        // Node name "a\0b" (field 3 of NodeProto) inside graph.node.
        let node: [UInt8] = [0x1A, 0x03, 0x61, 0x00, 0x62, 0x22, 0x04] + Array("Relu".utf8)
        let graph: [UInt8] = [0x0A, UInt8(node.count)] + node
        let model: [UInt8] = [0x08, 0x08, 0x3A, UInt8(graph.count)] + graph
        let loaded = try read(model)
        #expect(loaded.readFindings.map(\.rule) == ["ONNX-X18"])
    }

    @Test func otherFormatsAreNamed() throws {
        #expect {
            _ = try read([0x50, 0x4B, 0x03, 0x04, 0, 0])
        } throws: { ($0 as? PareError)?.message.contains("ZIP") == true }
        #expect {
            _ = try read([0x93] + Array("NUMPY".utf8) + [1, 0])
        } throws: { ($0 as? PareError)?.message.contains("NumPy") == true }
    }

    /// A seeded mutation loop over a valid model: flips, inserts, deletes and splices bytes.
    /// Every mutant must either read or fail with a PareError — a crash fails the whole run.
    @Test func seededMutationsNeverCrash() throws {
        let base = try encoded(ModelFactory.everything())
        var rng = SplitMix64(seed: 2024)
        var readOK = 0, refused = 0
        for _ in 0..<3_000 {
            var m = base
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let pos = Int(rng.next() % UInt64(max(m.count, 1)))
                switch rng.next() % 4 {
                case 0: if !m.isEmpty { m[pos] ^= UInt8(1 << (rng.next() % 8)) }
                case 1: m.insert(UInt8(truncatingIfNeeded: rng.next()), at: pos)
                case 2: if !m.isEmpty { m.remove(at: pos) }
                default: if !m.isEmpty { m[pos] = [0x00, 0xFF, 0x7F, 0x80][Int(rng.next() % 4)] }
                }
            }
            do { _ = try read(m); readOK += 1 } catch is PareError { refused += 1 }
        }
        #expect(readOK + refused == 3_000)
        #expect(refused > 0 && readOK > 0)
    }
}

/// A tiny seeded generator, so mutation tests are reproducible.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct WireFindingTests {
    @Test func repeatedSingularFieldIsReported() throws {
        // ir_version twice, then a graph whose name is given twice.
        let graph: [UInt8] = [0x12, 0x01, 0x61, 0x12, 0x01, 0x62]
        let model: [UInt8] = [0x08, 0x07, 0x08, 0x08, 0x3A, UInt8(graph.count)] + graph
        let holder = TensorData(copying: model)
        let loaded = try ONNXReader.read(holder.bytes, path: "m.onnx", owner: holder)
        #expect(loaded.readFindings.map(\.rule) == ["ONNX-X19", "ONNX-X19"])
        #expect(loaded.model.irVersion == 8, "the last occurrence wins, as in protobuf")
        #expect(loaded.model.graph?.name == "b")
    }
}
