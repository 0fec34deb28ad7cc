import PareCore
import Testing
@testable import PareIR

@Suite struct MatMulElementwiseTests {
    @Test func gemm() {
        let r = G.infer([
            G.node("Gemm", ["a", "b", "c"], ["y"], [.int("transB", 1)]),
            G.node("Gemm", ["at", "b2"], ["z"], [.int("transA", 1)]),
        ], inputs: [G.input("a", ["N", 512]), G.input("at", [7, 3])],
           initializers: [G.weight("b", [1000, 512]), G.weight("c", [1000]), G.weight("b2", [7, 5])])
        #expect(r.dims("y") == "[N, 1000]")
        #expect(r.dims("z") == "[3, 5]")
    }

    @Test func matMulShapes() {
        let r = G.infer([
            G.node("MatMul", ["a", "b"], ["y"]),
            G.node("MatMul", ["v", "b"], ["vy"]),
            G.node("MatMul", ["a", "w"], ["aw"]),
            G.node("MatMul", ["c", "d"], ["cd"]),
        ], inputs: [G.input("a", ["B", 1, 10, 64]), G.input("b", [4, 64, 32]), G.input("v", [64]),
                    G.input("w", [64]), G.input("c", [2, 1, 3, 4]), G.input("d", [5, 4, 6])])
        #expect(r.dims("y") == "[B, 4, 10, 32]")
        #expect(r.dims("vy") == "[4, 32]")     // 1-D A: its leading 1 is removed again
        #expect(r.dims("aw") == "[B, 1, 10]")  // 1-D B: its trailing 1 is removed again
        #expect(r.dims("cd") == "[2, 5, 3, 6]")
    }

    @Test func matMulInnerMismatch() {
        let r = G.infer([G.node("MatMul", ["a", "b"], ["y"])], inputs: [G.input("a", [2, 3]), G.input("b", [4, 5])])
        #expect(r.rules() == ["SHAPE-06"])
    }

    @Test func einsum() {
        let r = G.infer([
            G.node("Einsum", ["a", "b"], ["y"], [.string("equation", "bij,bjk->bik")]),
            G.node("Einsum", ["a", "b"], ["i"], [.string("equation", "bij,bjk")]),
            G.node("Einsum", ["e"], ["t"], [.string("equation", "...ij->...ji")]),
        ], inputs: [G.input("a", [2, 3, 4]), G.input("b", [2, 4, 5]), G.input("e", ["N", 7, 3, 4])])
        #expect(r.dims("y") == "[2, 3, 5]")
        #expect(r.dims("i") == "[3, 5]")   // implicit: letters used once, alphabetically
        #expect(r.dims("t") == "[N, 7, 4, 3]")
    }

    @Test func broadcasting() {
        let r = G.infer([
            G.node("Add", ["a", "b"], ["add"]),
            G.node("Mul", ["a", "s"], ["mul"]),
            G.node("Sum", ["a", "b", "c"], ["sum"]),
            G.node("Equal", ["a", "b"], ["eq"]),
            G.node("Where", ["cond", "a", "b"], ["w"]),
            G.node("Add", ["n", "m"], ["nm"]),
            G.node("Add", ["n", "one"], ["n1"]),
            G.node("PRelu", ["a", "slope"], ["p"]),
        ], inputs: [G.input("a", ["N", 3, 1]), G.input("b", [4]), G.input("s", []), G.input("c", [1, 1, 1, 1]),
                    G.input("cond", [3, 4], elem: DType.bool.rawValue), G.input("n", ["N"]), G.input("m", ["M"]),
                    G.input("one", [1]), G.input("slope", [3, 1])])
        #expect(r.dims("add") == "[N, 3, 4]")
        #expect(r.dims("mul") == "[N, 3, 1]")
        #expect(r.dims("sum") == "[1, N, 3, 4]")
        #expect(r.dims("eq") == "[N, 3, 4]")
        #expect(r.elem("eq") == DType.bool.rawValue)
        #expect(r.dims("w") == "[N, 3, 4]")
        #expect(r.dims("nm") == "[?]")   // two different symbols: unknown
        #expect(r.dims("n1") == "[N]")
        #expect(r.dims("p") == "[N, 3, 1]")
    }

    @Test func broadcastConflict() {
        let r = G.infer([G.node("Add", ["a", "b"], ["y"])], inputs: [G.input("a", [3]), G.input("b", [4])])
        #expect(r.rules() == ["SHAPE-06"])
    }

    @Test func unaryFamily() {
        let ops = ["Relu", "Sigmoid", "Tanh", "Erf", "Gelu", "Exp", "Log", "Sqrt", "Neg", "Abs", "LeakyRelu",
                   "HardSigmoid", "HardSwish", "Softplus", "Identity", "Floor", "Ceil", "Reciprocal", "Softmax", "LogSoftmax"]
        let r = G.infer(ops.map { G.node($0, ["x"], [$0]) } + [
            G.node("Clip", ["x", "lo", "hi"], ["clip"]),
            G.node("Dropout", ["x"], ["d", "mask"]),
            G.node("Cast", ["x"], ["cast"], [.int("to", Int64(DType.float16.rawValue))]),
            G.node("Not", ["bx"], ["not"]),
        ], inputs: [G.input("x", ["N", 3, 5]), G.input("lo", []), G.input("hi", []),
                    G.input("bx", [2], elem: DType.bool.rawValue)])
        for op in ops { #expect(r.dims(op) == "[N, 3, 5]", "\(op)") }
        #expect(r.dims("clip") == "[N, 3, 5]")
        #expect(r.dims("mask") == "[N, 3, 5]")
        #expect(r.elem("mask") == DType.bool.rawValue)
        #expect(r.elem("cast") == DType.float16.rawValue)
        #expect(r.dims("not") == "[2]")
    }

    @Test func oldOpsetBroadcastAttributeKeepsFirstShape() {
        let r = G.infer([G.node("Add", ["a", "b"], ["y"], [.int("broadcast", 1)])],
                        inputs: [G.input("a", [2, 3, 4]), G.input("b", [3])], opset: 6)
        #expect(r.dims("y") == "[2, 3, 4]")
    }
}
