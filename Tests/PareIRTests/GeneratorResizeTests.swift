import PareCore
import Testing
@testable import PareIR

@Suite struct GeneratorResizeTests {
    @Test func constants() {
        var tensor = Tensor(name: "t", dataType: DType.int32.rawValue, dims: [3])
        tensor.int32Data = [4, 5, 6]
        let r = G.infer([
            G.node("Constant", [], ["t"], [.tensor("value", tensor)]),
            G.node("Constant", [], ["f"], [.float("value_float", 1.5)]),
            G.node("Constant", [], ["fs"], [{ var a = Attribute(name: "value_floats", type: .floats); a.floats = [1, 2]; return a }()]),
            G.node("Constant", [], ["i"], [.int("value_int", 7)]),
            G.node("Constant", [], ["is"], [.ints("value_ints", [1, 2, 3, 4])]),
            G.node("Constant", [], ["s"], [.string("value_string", "x")]),
        ], inputs: [])
        #expect(r.dims("t") == "[3]")
        #expect(r.elem("t") == DType.int32.rawValue)
        #expect(r.constants["t"] == [4, 5, 6])
        #expect(r.dims("f") == "[]")
        #expect(r.dims("fs") == "[2]")
        #expect(r.constants["i"] == [7])
        #expect(r.constants["is"] == [1, 2, 3, 4])
        #expect(r.elem("s") == DType.string.rawValue)
    }

    @Test func constantOfShapeRangeNonZero() {
        var fill = Tensor(name: nil, dataType: G.i64, dims: [1])
        fill.int64Data = [1]
        let r = G.infer([
            G.node("ConstantOfShape", ["shape"], ["c"]),
            G.node("ConstantOfShape", ["three"], ["ones"], [.tensor("value", fill)]),
            G.node("Range", ["start", "limit", "delta"], ["r"]),
            G.node("NonZero", ["x"], ["nz"]),
        ], inputs: [G.input("x", [3, 4])],
           initializers: [G.ints("shape", [2, 3]), G.ints("three", [3]), G.ints("start", [1], dims: []),
                          G.ints("limit", [10], dims: []), G.ints("delta", [3], dims: [])])
        #expect(r.dims("c") == "[2, 3]")
        #expect(r.elem("c") == G.f32)
        #expect(r.constants["ones"] == [1, 1, 1])
        #expect(r.dims("r") == "[3]")
        #expect(r.constants["r"] == [1, 4, 7])
        #expect(r.dims("nz") == "[2, ?]")
    }

    @Test func resizeScalesAndSizes() {
        let r = G.infer([
            G.node("Resize", ["x", "", "scales"], ["s"]),
            G.node("Resize", ["x", "", "", "sizes"], ["z"]),
            G.node("Resize", ["x", "", "", "sizes2"], ["k"], [.ints("axes", [2, 3]), .string("keep_aspect_ratio_policy", "not_larger")]),
        ], inputs: [G.input("x", ["N", 3, 7, 9])],
           initializers: [G.floats("scales", [1, 1, 1.7, 0.3333333]), G.ints("sizes", [1, 3, 14, 18]), G.ints("sizes2", [14, 27])])
        // float32 arithmetic as in onnx: 9 × 0.3333333 = 2.9999998 → 2.
        #expect(r.dims("s") == "[N, 3, 11, 2]")
        #expect(r.dims("z") == "[1, 3, 14, 18]")
        #expect(r.dims("k") == "[N, 3, 14, 18]")
    }

    @Test func resizeOpset10AndUpsample() {
        let r10 = G.infer([G.node("Resize", ["x", "scales"], ["y"])], inputs: [G.input("x", [1, 2, 4, 4])],
                          initializers: [G.floats("scales", [1, 1, 2, 2])], opset: 10)
        #expect(r10.dims("y") == "[1, 2, 8, 8]")
        let up9 = G.infer([G.node("Upsample", ["x", "scales"], ["y"])], inputs: [G.input("x", [1, 2, 4, 4])],
                          initializers: [G.floats("scales", [1, 1, 2, 3])], opset: 9)
        #expect(up9.dims("y") == "[1, 2, 8, 12]")
        var scales = Attribute(name: "scales", type: .floats)
        scales.floats = [1, 1, 2, 2]
        let up7 = G.infer([G.node("Upsample", ["x"], ["y"], [scales])], inputs: [G.input("x", [1, 2, 4, 4])], opset: 7)
        #expect(up7.dims("y") == "[1, 2, 8, 8]")
    }
}
