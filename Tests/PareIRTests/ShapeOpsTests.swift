import PareCore
import Testing
@testable import PareIR

@Suite struct ShapeOpsTests {
    @Test func reshapeZeroAndMinusOne() {
        let r = G.infer([
            G.node("Reshape", ["x", "s1"], ["a"]),
            G.node("Reshape", ["x", "s2"], ["b"]),
            G.node("Reshape", ["e", "s3"], ["z"], [.int("allowzero", 1)]),
        ], inputs: [G.input("x", [2, 3, 4]), G.input("e", [0, 3])],
           initializers: [G.ints("s1", [0, -1]), G.ints("s2", [4, 0, -1]), G.ints("s3", [3, 0])])
        #expect(r.dims("a") == "[2, 12]")
        #expect(r.dims("b") == "[4, 3, 2]")
        #expect(r.dims("z") == "[3, 0]")
    }

    @Test func reshapeCancelsSymbols() {
        let r = G.infer([G.node("Reshape", ["x", "s"], ["y"])],
                        inputs: [G.input("x", ["N", 512, 1, 1])], initializers: [G.ints("s", [0, -1])])
        #expect(r.dims("y") == "[N, 512]")
    }

    @Test func reshapeBadCount() {
        let r = G.infer([G.node("Reshape", ["x", "s"], ["y"])], inputs: [G.input("x", [2, 3])],
                        initializers: [G.ints("s", [4, 2])])
        #expect(r.rules() == ["SHAPE-06"])
    }

    @Test func reshapeOpset1Attribute() {
        let r = G.infer([G.node("Reshape", ["x"], ["y"], [.ints("shape", [3, -1])])], inputs: [G.input("x", [2, 3])], opset: 4)
        #expect(r.dims("y") == "[3, 2]")
    }

    @Test func flattenTransposeExpandTile() {
        let r = G.infer([
            G.node("Flatten", ["x"], ["f"]),
            G.node("Flatten", ["x"], ["f0"], [.int("axis", 0)]),
            G.node("Flatten", ["x"], ["f3"], [.int("axis", -1)]),
            G.node("Transpose", ["x"], ["t"], [.ints("perm", [0, 2, 3, 1])]),
            G.node("Transpose", ["x"], ["tr"]),
            G.node("Expand", ["v", "shape"], ["e"]),
            G.node("Tile", ["x", "reps"], ["tile"]),
        ], inputs: [G.input("x", ["N", 2, 3, 4]), G.input("v", [3, 1])],
           initializers: [G.ints("shape", [2, 1, 6]), G.ints("reps", [1, 2, 1, 3])])
        #expect(r.dims("f") == "[N, 24]")
        #expect(r.dims("f0") == "[1, ?]")
        #expect(r.dims("f3") == "[?, 4]")
        #expect(r.dims("t") == "[N, 3, 4, 2]")
        #expect(r.dims("tr") == "[4, 3, 2, N]")
        #expect(r.dims("e") == "[2, 3, 6]")
        #expect(r.dims("tile") == "[N, 4, 3, 12]")
    }

    @Test func squeezeUnsqueezeAcrossOpsets() {
        let old = G.infer([
            G.node("Squeeze", ["x"], ["s"], [.ints("axes", [1])]),
            G.node("Unsqueeze", ["x"], ["u"], [.ints("axes", [0, -1])]),
            G.node("Squeeze", ["x"], ["all"]),
        ], inputs: [G.input("x", [3, 1, 4, 1])], opset: 11)
        #expect(old.dims("s") == "[3, 4, 1]")
        #expect(old.dims("u") == "[1, 3, 1, 4, 1, 1]")
        #expect(old.dims("all") == "[3, 4]")
        let new = G.infer([
            G.node("Squeeze", ["x", "ax"], ["s"]),
            G.node("Unsqueeze", ["x", "ax2"], ["u"]),
        ], inputs: [G.input("x", [3, 1, 4, 1])], initializers: [G.ints("ax", [-1]), G.ints("ax2", [2])], opset: 13)
        #expect(new.dims("s") == "[3, 1, 4]")
        #expect(new.dims("u") == "[3, 1, 1, 4, 1]")
    }

    @Test func squeezeNonOneIsShape06() {
        let r = G.infer([G.node("Squeeze", ["x", "ax"], ["s"])], inputs: [G.input("x", [3, 2])],
                        initializers: [G.ints("ax", [1])])
        #expect(r.rules() == ["SHAPE-06"])
    }

    @Test func shapeAndSize() {
        let r = G.infer([
            G.node("Shape", ["x"], ["s"]),
            G.node("Shape", ["x"], ["tail"], [.int("start", -2)]),
            G.node("Size", ["x"], ["n"]),
        ], inputs: [G.input("x", ["N", 3, 4])])
        #expect(r.dims("s") == "[3]")
        #expect(r.dims("tail") == "[2]")
        #expect(r.constants["tail"] == [3, 4])
        #expect(r.dims("n") == "[]")
        #expect(r.elem("s") == G.i64)
    }

    @Test func depthToSpace() {
        let r = G.infer([
            G.node("DepthToSpace", ["x"], ["d"], [.int("blocksize", 2)]),
            G.node("SpaceToDepth", ["x"], ["s"], [.int("blocksize", 2)]),
        ], inputs: [G.input("x", [1, 8, 4, 6])])
        #expect(r.dims("d") == "[1, 2, 8, 12]")
        #expect(r.dims("s") == "[1, 32, 2, 3]")
    }
}
