import Foundation
import PareCore
import Testing
@testable import PareTorch

/// Opcode-level behaviour of the symbolic machine: operand decoding, memo sharing, structural
/// errors and resource caps, each on a hand-assembled pickle.
@Suite struct PickleMachineTests {
    /// Runs `body` (without PROTO) and hands the root value to `inspect` before the machine is
    /// dismantled.
    func run(_ body: [UInt8], options: TorchReadOptions = TorchReadOptions(), proto: UInt8 = 2,
             _ inspect: (PickleValue, [Diagnostic]) throws -> Void = { _, _ in }) throws {
        let code = [0x80, proto] + body
        try code.withUnsafeBytes { bytes in
            let m = PickleMachine(code: bytes, options: options, path: "t", record: "data.pkl", copyBudget: CopyBudget(1 << 20)) { q in
                let n = Int(q.numel) * (q.storageClass.itemSize ?? 1)
                return .storage(TorchStorage(key: q.key, storageClass: q.storageClass, location: q.location, numel: q.numel,
                                             record: TensorData(copying: (0..<n).map { UInt8(truncatingIfNeeded: $0) }), bigEndian: false))
            }
            defer { m.dismantle() }
            try inspect(try m.run(), m.diagnostics)
        }
    }

    func error(_ body: [UInt8], options: TorchReadOptions = TorchReadOptions(), proto: UInt8 = 2) -> String {
        do { try run(body, options: options, proto: proto) } catch let e as PareError { return e.description } catch { return "\(error)" }
        return "accepted"
    }

    static func s(_ text: String) -> [UInt8] { let b = Array(text.utf8); return [0x58] + le32(UInt32(b.count)) + b }
    static func g(_ m: String, _ n: String) -> [UInt8] { [0x63] + Array("\(m)\n\(n)\n".utf8) }

    @Test func integerAndFloatOperands() throws {
        // TV-P25: LONG1 is signed two's complement; BININT signed; BININT2 unsigned; BINFLOAT big-endian.
        let cases: [([UInt8], Int64)] = [([0x8A, 0x01, 0xFF], -1), ([0x8A, 0x00], 0), ([0x8A, 0x02, 0x00, 0x80], -32768), ([0x8A, 0x03, 0x00, 0x80, 0x00], 32768),
                                         ([0x4A, 0xFE, 0xFF, 0xFF, 0xFF], -2), ([0x4D, 0xFF, 0xFF], 65535),
                                         ([0x8A, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00], Int64.max)]
        for (ops, want) in cases {
            try run(ops + [0x2E]) { v, _ in
                guard case .int(let i) = v else { Issue.record("not an int: \(v.kindName)"); return }
                #expect(i == want)
            }
        }
        try run([0x8A, 0x09] + [UInt8](repeating: 0, count: 8) + [0x01, 0x2E]) { v, _ in
            guard case .bigInt(let b) = v else { Issue.record("expected a big int"); return }
            #expect(b.count == 9)
        }
        try run([0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0x2E]) { v, _ in
            guard case .float(let f) = v else { Issue.record("not a float"); return }
            #expect(f == 1.5)
        }
    }

    @Test func memoHoldsSharedReferences() throws {
        // l = []; memo[0] = l; d = {"a": l}; then l.append(1) through BINGET: d sees it.
        try run([0x5D, 0x71, 0x00, 0x7D] + Self.s("a") + [0x68, 0x00, 0x73, 0x68, 0x00, 0x4B, 0x01, 0x61, 0x30, 0x2E]) { v, _ in
            guard case .dict(let d) = v, case .list(let l)? = d["a"] else { Issue.record("shape"); return }
            #expect(l.items.count == 1)
        }
    }

    @Test func dictKeysKeepFirstPositionAndRefuseUnhashables() throws {
        try run([0x7D, 0x28] + Self.s("a") + [0x4B, 1] + Self.s("b") + [0x4B, 2] + Self.s("a") + [0x4B, 3, 0x75, 0x2E]) { v, _ in
            guard case .dict(let d) = v else { return }
            #expect(d.keys.count == 2)
            guard case .int(3)? = d["a"] else { Issue.record("later value wins"); return }
        }
        #expect(error([0x7D, 0x5D, 0x4B, 1, 0x73, 0x2E]).contains("PK-05"))
    }

    @Test func structuralErrorsCarryOffsets() {
        #expect(error([0x52, 0x2E]).contains("byte 2: stack underflow (rule PK-05)"))
        #expect(error([0x28, 0x52]).contains("PK-05"))                   // REDUCE cannot reach below a MARK
        #expect(error([0x95, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0x2E]).contains("PK-05"))  // FRAME longer than the rest
        #expect(error([0x4B, 1, 0x4B, 2, 0x93, 0x2E]).contains("PK-05"))          // STACK_GLOBAL of ints
        #expect(error([0x5D]).contains("without STOP"))
        #expect(error([0xFF]).contains("not a pickle opcode"))
        #expect(error([0x7D, 0x2E], proto: 1).contains("PK-01"))
        #expect(error([0x80, 0x07, 0x2E]).contains("PK-01"))
        #expect(error(Array(Self.g("collections", "OrderedDict")) + [0x58, 0x02, 0, 0, 0, 0xC3, 0x28, 0x2E]).contains("invalid UTF-8"))
    }

    @Test func popOnAnEmptySegmentPopsTheMark() throws {
        try run([0x4B, 7, 0x28, 0x30, 0x2E]) { v, diagnostics in
            guard case .int(7) = v else { Issue.record("got \(v.kindName)"); return }
            #expect(diagnostics.isEmpty)
        }
    }

    @Test func leftoversAfterStopAreWarnings() throws {
        try run([0x4B, 1, 0x4B, 2, 0x2E, 0x00]) { _, diagnostics in
            #expect(diagnostics.filter { $0.rule == "PK-08" }.count == 2)
        }
    }

    @Test func everyResourceCapIsEnforced() {
        var o = TorchReadOptions()
        o.limits = PickleLimits()
        o.limits.stackValues = 10
        #expect(error([UInt8](repeating: 0x4E, count: 11) + [0x2E], options: o).contains("PK-06"))
        o.limits = PickleLimits(); o.limits.markDepth = 2
        #expect(error([0x28, 0x28, 0x28, 0x2E], options: o).contains("PK-06"))
        o.limits = PickleLimits(); o.limits.memoEntries = 2
        #expect(error([0x4E, 0x94, 0x94, 0x94, 0x2E], options: o).contains("PK-06"))
        o.limits = PickleLimits(); o.limits.totalValues = 5
        #expect(error([0x5D, 0x28] + [UInt8](repeating: 0x4E, count: 6) + [0x65, 0x2E], options: o).contains("PK-06"))
        o.limits = PickleLimits(); o.limits.stringBytes = 4
        #expect(error(Self.s("hello") + [0x2E], options: o).contains("PK-06"))
        o.limits = PickleLimits(); o.limits.pickleBytes = 3
        #expect(error([0x4E, 0x2E], options: o).contains("PK-06"))
        // Tuples nested 2,000 deep: their depth is exact at construction.
        #expect(error([UInt8](repeating: 0x29, count: 1) + [UInt8](repeating: 0x85, count: 2_000) + [0x2E]).contains("nested more than 1000"))
    }

    /// A 200,000-list chain linked through the memo escapes the construction-time depth check
    /// (each link is made while the inner list is still empty). Walking it must not recurse, and
    /// freeing it must not either: the machine dismantles its containers one by one.
    @Test func deepChainsBuiltThroughTheMemoAreFreedIteratively() throws {
        let n = 200_000
        var p: [UInt8] = [0x80, 0x02]
        for i in 0..<n { p += [0x5D, 0x72] + le32(UInt32(i)) + [0x30] }
        for i in 0..<(n - 1) { p += [0x6A] + le32(UInt32(i)) + [0x6A] + le32(UInt32(i + 1)) + [0x61, 0x30] }
        p += [0x6A] + le32(0) + [0x2E]
        let summary = try p.withUnsafeBytes { try TorchPickle.decode($0) }
        #expect(summary.tensors == 0 && summary.otherValues == 1)
    }

    @Test func flatteningStopsAtTheDepthLimit() throws {
        // Dicts d0 … d1500 linked d[i]["a"] = d[i+1] in ascending order, a tensor in the last.
        let n = 1_500
        var p: [UInt8] = [0x80, 0x02]
        for i in 0...n { p += [0x7D, 0x72] + le32(UInt32(i)) + [0x30] }
        for i in 0..<n { p += [0x6A] + le32(UInt32(i)) + Self.s("a") + [0x6A] + le32(UInt32(i + 1)) + [0x73, 0x30] }
        p += [0x6A] + le32(UInt32(n)) + Self.s("t") + Self.tensor([2]) + [0x73, 0x30, 0x6A] + le32(0) + [0x2E]
        #expect { _ = try p.withUnsafeBytes { try TorchPickle.decode($0) } } throws: {
            ($0 as? PareError)?.message.contains("(rule PK-06)") == true
        }
    }

    /// `_rebuild_tensor_v2` on a FloatStorage of `numel` elements.
    static func tensor(_ size: [UInt8], stride: [UInt8]? = nil, offset: UInt8 = 0, numel: UInt8 = 6,
                       storage: String = "FloatStorage", module: String = "torch") -> [UInt8] {
        let st = stride ?? (size.count == 1 ? [1] : [size[1], 1])
        func tuple(_ v: [UInt8]) -> [UInt8] { [0x28] + v.flatMap { [0x4B, $0] } + [0x74] }
        return g("torch._utils", "_rebuild_tensor_v2") + [0x28, 0x28] + s("storage") + g(module, storage) + s("0") + s("cpu")
            + [0x4B, numel, 0x74, 0x51, 0x4B, offset] + tuple(size) + tuple(st) + [0x89] + g("collections", "OrderedDict")
            + [0x29, 0x52, 0x74, 0x52]
    }

    @Test func tensorViewsAreBoundsChecked() {
        #expect(error(Self.tensor([3, 3]) + [0x2E]).contains("PT-09"))                   // TV-P13
        #expect(error(Self.tensor([2], offset: 5) + [0x2E]).contains("PT-09"))
        #expect(error(Self.tensor([2, 3], stride: [3]) + [0x2E]).contains("PT-09"))     // ranks differ
        #expect(error(Self.tensor([2], storage: "UntypedStorage") + [0x2E]).contains("needs _rebuild_tensor_v3"))
        #expect(error(Self.tensor([2], storage: "QInt8Storage") + [0x2E]).contains("PT-10"))
        #expect(error(Self.tensor([2], storage: "system", module: "os") + [0x2E]).contains("PK-04"))
    }

    @Test func sizeOneDimsMayCarryAnyStrideAndExpansionIsBudgeted() throws {
        try run(Self.tensor([1, 6], stride: [255, 1]) + [0x2E]) { v, _ in
            guard case .tensor(let t) = v else { Issue.record("not a tensor"); return }
            #expect(t.shape == [1, 6])
        }
        // 255 × 255 × … stride-0 dims over one element: 4 GiB of copies from a 4-byte storage.
        let huge = Self.g("torch._utils", "_rebuild_tensor_v2") + [0x28, 0x28] + Self.s("storage") + Self.g("torch", "FloatStorage")
            + Self.s("0") + Self.s("cpu") + [0x4B, 1, 0x74, 0x51, 0x4B, 0, 0x28, 0x4A] + le32(1 << 30) + [0x74, 0x28, 0x4B, 0, 0x74, 0x89,
            0x4E, 0x74, 0x52, 0x2E]
        #expect(error(huge).contains("more bytes of copies"))
    }

    @Test func lenientModeKeepsUnknownCallsInert() throws {
        var o = TorchReadOptions()
        o.lenientPickle = true
        let body = Self.g("argparse", "Namespace") + [0x29, 0x52, 0x2E]
        #expect(error(body).contains("PK-03"))
        try run(body, options: o) { v, diagnostics in
            guard case .object(let obj) = v else { Issue.record("not an object"); return }
            #expect(obj.type.qualifiedName == "argparse.Namespace")
            #expect(diagnostics.contains { $0.rule == "PK-03" })
        }
        var q = TorchReadOptions()
        q.lenientPickle = true
        try run(Self.tensor([2], storage: "QInt8Storage") + [0x2E], options: q) { v, d in
            guard case .none = v else { Issue.record("quantized tensor should be skipped"); return }
            #expect(d.contains { $0.rule == "PT-10" })
        }
    }

    @Test func interpretedCallables() throws {
        // torch.Size((2, 3)), _codecs.encode("\u{FF}a", "latin1"), builtins.set([1, 1, 2]), complex(1, 2)
        let body = [0x28] + Self.g("torch", "Size") + [0x4B, 2, 0x4B, 3, 0x86, 0x85, 0x52]
            + Self.g("_codecs", "encode") + Self.s("\u{FF}a") + Self.s("latin1") + [0x86, 0x52]
            + Self.g("builtins", "set") + [0x5D, 0x28, 0x4B, 1, 0x4B, 1, 0x4B, 2, 0x65, 0x85, 0x52]
            + Self.g("builtins", "complex") + [0x4B, 1, 0x4B, 2, 0x86, 0x52, 0x6C, 0x2E]
        try run(body) { v, _ in
            guard case .list(let l) = v, l.items.count == 4 else { Issue.record("shape"); return }
            if case .tuple(let t) = l.items[0] { #expect(t.items.count == 2) } else { Issue.record("Size") }
            if case .bytes(let b) = l.items[1] { #expect(b == [0xFF, 0x61]) } else { Issue.record("bytes") }
            if case .set(let s) = l.items[2] { #expect(s.items.count == 2) } else { Issue.record("set") }
            if case .complex(1, 2) = l.items[3] {} else { Issue.record("complex") }
        }
    }

    @Test func parametersWrapTensors() throws {
        let body = Self.g("torch._utils", "_rebuild_parameter") + Self.tensor([2]) + [0x88]
            + Self.g("collections", "OrderedDict") + [0x29, 0x52, 0x87, 0x52, 0x2E]
        try run(body) { v, _ in
            guard case .tensor(let t) = v else { Issue.record("not a tensor"); return }
            #expect(t.isParameter && t.requiresGrad)
        }
    }
}
