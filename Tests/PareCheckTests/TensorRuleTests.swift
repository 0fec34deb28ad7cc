import PareCheck
import PareCore
import PareIR
import Testing

@Suite struct TensorRuleTests {
    /// The base model with `w` added as an initializer feeding Add.
    func withWeight(_ w: Tensor) -> CheckReport {
        check(Fixture.with([Node(op: "Add", inputs: ["x", "w"], outputs: ["y"])], initializers: [w]))
    }

    func raw(_ name: String, _ type: DType, _ dims: [Int64], _ bytes: Int) -> Tensor {
        Tensor(name: name, type: type, dims: dims, raw: TensorData(copying: [UInt8](repeating: 0, count: bytes)))
    }

    @Test func dataTypeSetAndKnown() {
        #expect(withWeight(Fixture.floats("w", [1, 2])).isValid)
        var t = Fixture.floats("w", [1, 2])
        t.dataType = 0
        #expect(withWeight(t).has("ONNX-T01", .error))
        t.dataType = 99
        #expect(withWeight(t).has("ONNX-T01", .error))
    }

    @Test func externalWithInlineData() {
        var t = Fixture.floats("w", [1, 2])
        t.dataLocation = 1
        t.externalData = [StringPair(key: "location", value: "w.bin")]
        #expect(withWeight(t).has("ONNX-T02", .error))
    }

    @Test func dimsMustBeCountable() {
        var t = raw("w", .float, [2], 8)
        t.dims = [-2]
        #expect(withWeight(t).has("ONNX-T04", .error))
        t.dims = [Int64.max, 4]
        #expect(withWeight(t).has("ONNX-T04", .error))
    }

    @Test func exactlyOneValueField() {
        var two = Fixture.floats("w", [1, 2])
        two.rawData = TensorData(copying: [UInt8](repeating: 0, count: 8))
        #expect(withWeight(two).has("ONNX-T05", .error))
        #expect(withWeight(Tensor(name: "w", dataType: 1, dims: [2])).has("ONNX-T05", .error))
        var empty = Fixture.floats("w", [1])
        empty.dims = [0]
        #expect(withWeight(empty).has("ONNX-T05", .error))
    }

    @Test func stringsNeverInRawData() {
        #expect(withWeight(raw("w", .string, [1], 4)).has("ONNX-T06", .error))
    }

    @Test func rawDataLength() {
        #expect(withWeight(raw("w", .float, [2], 4)).has("ONNX-T07", .error))
        let long = withWeight(raw("w", .float, [2], 12))
        #expect(long.isValid && long.has("ONNX-X12", .warning))
        // Sub-byte types pack: 3 INT4 elements take 2 bytes.
        #expect(withWeight(raw("w", .int4, [3], 2)).isValid)
        #expect(withWeight(raw("w", .int4, [3], 1)).has("ONNX-T07", .error))
    }

    @Test func typedFieldAndCount() {
        var short = Fixture.floats("w", [1])
        short.dims = [2]
        #expect(withWeight(short).has("ONNX-T08", .error))
        var wrong = Tensor(name: "w", dataType: 1, dims: [2])
        wrong.int64Data = [1, 2]
        #expect(withWeight(wrong).has("ONNX-T08", .error))
        var complex = Tensor(name: "w", dataType: DType.complex64.rawValue, dims: [2])
        complex.floatData = [1, 2, 3]
        #expect(withWeight(complex).has("ONNX-T08", .error))
    }

    @Test func subBytePackingInInt32Data() {
        var t = Tensor(name: "w", dataType: DType.int4.rawValue, dims: [16])
        t.int32Data = [0, 0, 0, 0, 0, 0, 0, 0]  // the schema's 2 per entry
        #expect(!withWeight(t).ids().contains("ONNX-X13"))
        t.int32Data = [0, 0]  // enough for onnx's 8-per-entry bound, below the schema's
        let r = withWeight(t)
        #expect(r.has("ONNX-X13", .warning) && !r.ids(.error).contains("ONNX-T08"))
        t.int32Data = [0]
        #expect(withWeight(t).has("ONNX-T08", .error))
    }

    @Test func narrowIntegerRange() {
        var t = Tensor(name: "w", dataType: DType.uint8.rawValue, dims: [2])
        t.int32Data = [1, 255]
        #expect(!withWeight(t).ids().contains("ONNX-X14"))
        t.int32Data = [1, 300]
        #expect(withWeight(t).has("ONNX-X14", .error))
        var b = Tensor(name: "w", dataType: DType.bool.rawValue, dims: [1])
        b.int32Data = [2]
        #expect(withWeight(b).has("ONNX-X14", .error))
    }

    @Test func segmentUnsupported() {
        var t = Fixture.floats("w", [1, 2])
        t.segment = Tensor.Segment(begin: 0, end: 2)
        #expect(withWeight(t).has("ONNX-X24", .error))
    }

    // Sparse tensors, as sparse initializers feeding nothing but a graph output.
    func sparse(_ s: SparseTensor) -> CheckReport {
        var m = Fixture.with([Node(op: "Identity", inputs: ["sv"], outputs: ["y"])], inputs: [])
        m.graph!.sparseInitializers = [s]
        return check(m)
    }

    func linear(_ positions: [Int64], dense: [Int64] = [4]) -> SparseTensor {
        var idx = Tensor(name: "si", dataType: DType.int64.rawValue, dims: [Int64(positions.count)])
        idx.int64Data = positions
        return SparseTensor(values: Fixture.floats("sv", positions.map { _ in 1 }), indices: idx, dims: dense)
    }

    @Test func sparseValues() {
        #expect(sparse(linear([1, 3])).isValid, "\(sparse(linear([1, 3])).diagnostics.map(\.line))")
        var s = linear([1, 3])
        s.values!.dims = [1, 2]
        #expect(sparse(s).has("ONNX-S01", .error))
        #expect(sparse(SparseTensor(values: nil, indices: nil, dims: [4])).ids(.error).contains("ONNX-S01"))
    }

    @Test func sparseDenseShape() {
        #expect(sparse(linear([1, 3], dense: [])).has("ONNX-S02", .error))
        #expect(sparse(linear([1, 3], dense: [0])).has("ONNX-S02", .error))
    }

    @Test func sparseIndices() {
        #expect(sparse(linear([3, 1])).has("ONNX-S03", .error))
        #expect(sparse(linear([1, 7])).has("ONNX-S03", .error))
        var coo = Tensor(name: "si", dataType: DType.int64.rawValue, dims: [2, 2])
        coo.int64Data = [0, 1, 1, 0]
        #expect(sparse(SparseTensor(values: Fixture.floats("sv", [1, 2]), indices: coo, dims: [2, 2])).isValid)
        coo.int64Data = [1, 0, 0, 1]
        #expect(sparse(SparseTensor(values: Fixture.floats("sv", [1, 2]), indices: coo, dims: [2, 2])).has("ONNX-S03", .error))
        #expect(sparse(SparseTensor(values: Fixture.floats("sv", [1, 2]), indices: nil, dims: [4])).has("ONNX-S03", .error))
    }
}
