import PareCore
import Testing
@testable import PareIR

@Suite struct ConvPoolTests {
    @Test func convStridePadDilation() {
        let r = G.infer([
            G.node("Conv", ["x", "w"], ["y"], [.ints("strides", [2, 2]), .ints("pads", [3, 3, 3, 3])]),
            G.node("Conv", ["x", "w2"], ["z"], [.ints("dilations", [2, 2]), .ints("kernel_shape", [3, 3])]),
            G.node("Conv", ["x", "w3"], ["g"], [.int("group", 3), .ints("strides", [1, 2])]),
        ], inputs: [G.input("x", ["N", 3, 224, 224])],
           initializers: [G.weight("w", [64, 3, 7, 7]), G.weight("w2", [8, 3, 3, 3]), G.weight("w3", [6, 1, 1, 1])])
        // (224 + 6 - 7) / 2 + 1 = 112; dilated kernel 5: 224 - 5 + 1 = 220.
        #expect(r.dims("y") == "[N, 64, 112, 112]")
        #expect(r.dims("z") == "[N, 8, 220, 220]")
        #expect(r.dims("g") == "[N, 6, 224, 112]")
        #expect(r.findings.isEmpty)
    }

    @Test func convAutoPad() {
        let r = G.infer([
            G.node("Conv", ["x", "w"], ["u"], [.string("auto_pad", "SAME_UPPER"), .ints("strides", [2])]),
            G.node("Conv", ["x", "w"], ["l"], [.string("auto_pad", "SAME_LOWER"), .ints("strides", [3])]),
            G.node("Conv", ["x", "w"], ["v"], [.string("auto_pad", "VALID"), .ints("strides", [2])]),
        ], inputs: [G.input("x", [1, 2, 11])], initializers: [G.weight("w", [4, 2, 4])])
        #expect(r.dims("u") == "[1, 4, 6]")   // ceil(11 / 2)
        #expect(r.dims("l") == "[1, 4, 4]")   // ceil(11 / 3)
        #expect(r.dims("v") == "[1, 4, 4]")   // (11 - 4) / 2 + 1
    }

    @Test func convChannelMismatchIsShape06() {
        let r = G.infer([G.node("Conv", ["x", "w"], ["y"])],
                        inputs: [G.input("x", [1, 4, 8, 8])], initializers: [G.weight("w", [8, 3, 3, 3])])
        #expect(r.rules() == ["SHAPE-06"])
        #expect(r.findings.first?.severity == .warning)
        #expect(r.shape("y") == nil)
        let strict = G.infer([G.node("Conv", ["x", "w"], ["y"])], inputs: [G.input("x", [1, 4, 8, 8])],
                             initializers: [G.weight("w", [8, 3, 3, 3])], options: .init(strict: true))
        #expect(strict.findings.first?.severity == .error)
    }

    @Test func convTranspose() {
        let r = G.infer([
            G.node("ConvTranspose", ["x", "w"], ["y"], [.ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1]),
                                                       .ints("output_padding", [1, 1])]),
            G.node("ConvTranspose", ["x", "w"], ["s"], [.ints("strides", [2, 2]), .string("auto_pad", "SAME_UPPER")]),
            G.node("ConvTranspose", ["x", "w"], ["o"], [.ints("strides", [2, 2]), .ints("output_shape", [33, 34])]),
            G.node("ConvTranspose", ["x", "wg"], ["g"], [.int("group", 2), .ints("dilations", [2, 2])]),
        ], inputs: [G.input("x", ["B", 8, 16, 16])], initializers: [G.weight("w", [8, 4, 3, 3]), G.weight("wg", [8, 5, 3, 3])])
        // 2·15 + 1 + 3 − 2 = 32; SAME: 16·2; dilated kernel 5: 15 + 5 = 20; channels 5·2.
        #expect(r.dims("y") == "[B, 4, 32, 32]")
        #expect(r.dims("s") == "[B, 4, 32, 32]")
        #expect(r.dims("o") == "[B, 4, 33, 34]")
        #expect(r.dims("g") == "[B, 10, 20, 20]")
    }

    @Test func pools() {
        let r = G.infer([
            G.node("MaxPool", ["x"], ["m", "idx"], [.ints("kernel_shape", [3, 3]), .ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1])]),
            G.node("AveragePool", ["x"], ["a"], [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2]), .int("ceil_mode", 1)]),
            G.node("AveragePool", ["x"], ["f"], [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2])]),
            G.node("LpPool", ["x"], ["lp"], [.ints("kernel_shape", [3, 3]), .string("auto_pad", "SAME_UPPER"), .ints("strides", [2, 2])]),
            G.node("GlobalAveragePool", ["x"], ["g"]),
            G.node("GlobalMaxPool", ["x"], ["gm"]),
        ], inputs: [G.input("x", ["N", 16, 15, 15])])
        #expect(r.dims("m") == "[N, 16, 8, 8]")
        #expect(r.dims("idx") == "[N, 16, 8, 8]")
        #expect(r.elem("idx") == G.i64)
        #expect(r.dims("a") == "[N, 16, 8, 8]")   // ceil((15 − 2) / 2) + 1
        #expect(r.dims("f") == "[N, 16, 7, 7]")
        #expect(r.dims("lp") == "[N, 16, 8, 8]")
        #expect(r.dims("g") == "[N, 16, 1, 1]")
        #expect(r.dims("gm") == "[N, 16, 1, 1]")
    }

    @Test func ceilModeWindowStartingInPadding() {
        // Before opset 22 onnx keeps a last window that starts in the padding; from 22 it drops it.
        let pool = [G.node("MaxPool", ["x"], ["y"], [.ints("kernel_shape", [1]), .ints("strides", [2]),
                                                     .ints("pads", [1, 1]), .int("ceil_mode", 1)])]
        #expect(G.infer(pool, inputs: [G.input("x", [1, 1, 4])], opset: 21).dims("y") == "[1, 1, 4]")
        #expect(G.infer(pool, inputs: [G.input("x", [1, 1, 4])], opset: 22).dims("y") == "[1, 1, 3]")
    }

    @Test func norms() {
        let r = G.infer([
            G.node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"]),
            G.node("InstanceNormalization", ["x", "s", "b"], ["i"]),
            G.node("LayerNormalization", ["x", "s", "b"], ["l", "mean", "inv"], [.int("axis", -2)]),
        ], inputs: [G.input("x", ["N", 4, 5, 6])],
           initializers: ["s", "b", "m", "v"].map { G.weight($0, [4]) })
        #expect(r.dims("y") == "[N, 4, 5, 6]")
        #expect(r.dims("i") == "[N, 4, 5, 6]")
        #expect(r.dims("l") == "[N, 4, 5, 6]")
        #expect(r.dims("mean") == "[N, 4, 1, 1]")
        #expect(r.elem("inv") == G.f32)
    }
}
