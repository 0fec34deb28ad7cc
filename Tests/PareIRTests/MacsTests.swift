import PareCore
import Testing
@testable import PareIR

@Suite struct MacsTests {
    /// Conv → Relu → MaxPool → BN → depthwise Conv → ConvTranspose, and a GAP → Flatten → Gemm
    /// head, counted by hand with the Torch-Pruning convention documented in Macs.swift.
    @Test func convGemmGraphMatchesHandCount() {
        let nodes = [
            G.node("Conv", ["x", "w1"], ["c1"], [.ints("pads", [1, 1, 1, 1])]),        // [1,16,32,32]
            G.node("Relu", ["c1"], ["r1"]),
            G.node("MaxPool", ["r1"], ["p1"], [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2])]),  // [1,16,16,16]
            G.node("BatchNormalization", ["p1", "s", "b", "m", "v"], ["bn"]),
            G.node("Conv", ["bn", "dw"], ["c2"], [.int("group", 16), .ints("pads", [1, 1, 1, 1])]),
            G.node("Add", ["c2", "bn"], ["sum"]),
            G.node("ConvTranspose", ["sum", "wt"], ["up"], [.ints("strides", [2, 2])]),  // [1,8,32,32]
            G.node("GlobalAveragePool", ["sum"], ["gap"]),
            G.node("Flatten", ["gap"], ["flat"]),
            G.node("Gemm", ["flat", "fc", "fcb"], ["logits"], [.int("transB", 1)]),
            G.node("Mystery", ["logits"], ["out"], domain: "custom"),
        ]
        let inits = [G.weight("w1", [16, 3, 3, 3]), G.weight("dw", [16, 1, 3, 3]), G.weight("wt", [16, 8, 2, 2]),
                     G.weight("fc", [10, 16]), G.weight("fcb", [10])] + ["s", "b", "m", "v"].map { G.weight($0, [16]) }
        let g = Graph(name: "g", nodes: nodes, inputs: [G.input("x", [1, 3, 32, 32])], initializers: inits)
        let types = ShapeInference.infer(graph: g, opsets: ["": 17]).types
        let report = Macs.count(graph: g, types: types)
        let expected: [Int64?] = [
            16 * 32 * 32 * 3 * 9,   // Conv: output elements × Cin/group × kernel
            16 * 32 * 32,           // Relu: output elements
            16 * 32 * 32,           // MaxPool: input elements
            2 * 16 * 16 * 16,       // BatchNormalization: 2 × input elements
            16 * 16 * 16 * 1 * 9,   // depthwise Conv: Cin/group = 1
            0,                      // Add: functional, 0 in Torch-Pruning
            16 * 16 * 16 * 8 * 4,   // ConvTranspose: input elements × Cout/group × kernel
            16 * 16 * 16,           // GlobalAveragePool: input elements
            0,                      // Flatten
            1 * 10 * 16,            // Gemm: M × N × K
            nil,                    // custom op: not counted
        ]
        #expect(report.nodes.map(\.macs) == expected)
        #expect(report.total == expected.compactMap { $0 }.reduce(0, +))
        #expect(report.uncounted == 1)
    }

    @Test func matMulBatchedAndUnknownShapes() {
        let g = Graph(name: "g", nodes: [
            G.node("MatMul", ["a", "b"], ["y"]),
            G.node("MatMul", ["n", "b"], ["z"]),
        ], inputs: [G.input("a", [2, 4, 8, 16]), G.input("b", [16, 32]), G.input("n", ["N", 16])])
        let report = Macs.count(graph: g, types: ShapeInference.infer(graph: g, opsets: ["": 17]).types)
        let batchedMacs: Int64 = 2 * 4 * 8 * 32 * 16   // batch × M × N × K
        #expect(report.nodes[0].macs == batchedMacs)
        #expect(report.nodes[1].macs == nil)   // N is not a number
        #expect(report.uncounted == 1)
    }

    @Test func summaryCountsPerSampleForSymbolicBatch() {
        var model = Model(irVersion: 9, graph: Graph(name: "g", nodes: [G.node("Gemm", ["x", "w"], ["y"], [.int("transB", 1)])],
                                                      inputs: [G.input("x", ["batch", 8])], outputs: [ValueInfo(name: "y", type: nil)],
                                                      initializers: [G.weight("w", [4, 8])]),
                          opsetImports: [OpsetImport(domain: "", version: 17)])
        model.producerName = "test"
        let s = ModelSummary(model: model, file: "m.onnx", fileBytes: 0, largest: 0)
        #expect(s.macs == 32)
        #expect(s.uncountedNodes == 0)
        #expect(s.macsBindings == ["batch": 1])
        #expect(s.outputs.first?.shape == ["batch", "4"])   // the shown shape keeps the symbol
    }
}
