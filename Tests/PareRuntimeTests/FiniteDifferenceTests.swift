import PareEngine
import PareIR
import PareRuntime
import Testing

/// Every rule of `GradientRules.table` (and the training mode of BatchNormalization and Dropout)
/// against central finite differences, on small graphs with odd sizes, strides, pads, groups,
/// dilations and broadcasting. See `GradientCheck` for the method.
@Suite struct FiniteDifferenceTests {
    typealias Build = @Sendable (inout GradientCheck) -> (output: String, rank: Int)

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let image: [Int]
        var training = true
        var opset: Int64 = 17
        let build: Build
        var testDescription: String { name }
    }

    static let cases: [Case] = convolutions + normalizations + linear + unary + binary + layout

    @Test(arguments: cases)
    func gradientMatchesFiniteDifferences(_ c: Case) throws {
        var check = GradientCheck(image: c.image, seed: UInt64(c.name.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }))
        check.training = c.training
        check.opset = c.opset
        let (output, rank) = c.build(&check)
        let result = try check.run(output: output, rank: rank)
        #expect(result.compared > 0)
        #expect(result.mismatches.isEmpty, "\(c.name): \(result.mismatches)")
    }

    /// The cases above exercise every op that has a gradient rule, so a new rule needs a case.
    @Test func everyGradientRuleHasACase() {
        var covered = Set<String>()
        for c in Self.cases {
            var check = GradientCheck(image: c.image)
            _ = c.build(&check)
            covered.formUnion(check.net.nodes.map(\.op))
        }
        let missing = TrainingSession.differentiableOps.subtracting(covered)
        #expect(missing.isEmpty, "gradient rules without a finite-difference case: \(missing.sorted())")
    }

    /// The Dropout case above is only a test of masking if training mode masks: about half the
    /// values zeroed and the rest scaled by 2, the same mask for the same step, none in eval mode.
    @Test func dropoutMasksInTrainingModeOnly() throws {
        var check = GradientCheck(image: [16, 64])
        let values = check.awayFromZero(1024)
        let out = check.net.node("Dropout", [check.data(values), check.parameter("ratio", [], [0.5])])
        let session = try TrainingSession(model: check.net.model(output: out, outputRank: 2), path: "dropout.onnx")
        let x = DenseTensor(shape: [16, 64], floats: [Float](repeating: 0, count: 1024))
        let first = try session.forward(x, training: true).output.floats
        let again = try session.forward(x, training: true).output.floats
        let eval = try session.forward(x, training: false).output.floats
        let zeros = first.filter { $0 == 0 }.count
        #expect(zeros > 400 && zeros < 624, "\(zeros) of 1024 dropped")
        #expect(zip(first, values).allSatisfy { $0 == 0 || $0 == 2 * $1 })
        #expect(first == again && eval == values)
    }

    // MARK: Conv, ConvTranspose, pools

    static let convolutions: [Case] = [
        Case(name: "Conv 3×3, pads 1, bias", image: [2, 3, 5, 5]) { c in
            let x = c.data(c.uniform(150, -1, 1))
            let w = c.parameter("w", [4, 3, 3, 3], c.uniform(108, -0.5, 0.5)), b = c.parameter("b", [4], c.uniform(4, -1, 1))
            return (c.net.node("Conv", [x, w, b], [.ints("pads", [1, 1, 1, 1])]), 4)
        },
        Case(name: "Conv stride 2, dilation 2, groups 2, asymmetric pads", image: [2, 4, 7, 6]) { c in
            let x = c.data(c.uniform(336, -1, 1))
            let w = c.parameter("w", [6, 2, 3, 2], c.uniform(72, -0.5, 0.5))
            return (c.net.node("Conv", [x, w], [.ints("strides", [2, 1]), .ints("dilations", [2, 1]), .int("group", 2),
                                                .ints("pads", [0, 1, 1, 0])]), 4)
        },
        Case(name: "Conv depthwise, stride 2, bias", image: [2, 4, 6, 5]) { c in
            let x = c.data(c.uniform(240, -1, 1))
            let w = c.parameter("w", [4, 1, 3, 3], c.uniform(36, -0.5, 0.5)), b = c.parameter("b", [4], c.uniform(4, -1, 1))
            return (c.net.node("Conv", [x, w, b], [.int("group", 4), .ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1])]), 4)
        },
        Case(name: "Conv 1×1", image: [3, 5, 2, 3]) { c in
            let x = c.data(c.uniform(90, -1, 1))
            let w = c.parameter("w", [2, 5, 1, 1], c.uniform(10, -0.5, 0.5))
            return (c.net.node("Conv", [x, w]), 4)
        },
        Case(name: "Conv 1-D", image: [2, 3, 9]) { c in
            let x = c.data(c.uniform(54, -1, 1))
            let w = c.parameter("w", [2, 3, 3], c.uniform(18, -0.5, 0.5))
            return (c.net.node("Conv", [x, w], [.ints("pads", [2, 0]), .ints("strides", [2])]), 3)
        },
        // A shape inference would run by Winograd with transformed weights cached per buffer: a
        // training session changes weights in place, so it must never see a stale transform.
        Case(name: "Conv 32→32 3×3 at 20×20, batch 1 (Winograd-sized)", image: [1, 32, 20, 20], training: false) { c in
            let x = c.data(c.uniform(12_800, -1, 1))
            let w = c.parameter("w", [32, 32, 3, 3], c.uniform(9216, -0.1, 0.1))
            return (c.net.node("Conv", [x, w], [.ints("pads", [1, 1, 1, 1])]), 4)
        },
        Case(name: "ConvTranspose stride 2, pads 1, output_padding 1, bias", image: [2, 4, 3, 3]) { c in
            let x = c.data(c.uniform(72, -1, 1))
            let w = c.parameter("w", [4, 3, 3, 3], c.uniform(108, -0.5, 0.5)), b = c.parameter("b", [3], c.uniform(3, -1, 1))
            return (c.net.node("ConvTranspose", [x, w, b], [.ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1]),
                                                            .ints("output_padding", [1, 1])]), 4)
        },
        Case(name: "ConvTranspose groups 2, dilation 2", image: [1, 4, 4, 3]) { c in
            let x = c.data(c.uniform(48, -1, 1))
            let w = c.parameter("w", [4, 3, 2, 2], c.uniform(48, -0.5, 0.5))
            return (c.net.node("ConvTranspose", [x, w], [.int("group", 2), .ints("dilations", [2, 2])]), 4)
        },
        Case(name: "MaxPool 3×3 stride 2 pads 1", image: [2, 3, 7, 6]) { c in
            let x = c.data(c.distinct(252))
            return (c.net.node("MaxPool", [x], [.ints("kernel_shape", [3, 3]), .ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1])]), 4)
        },
        Case(name: "MaxPool 2×2 ceil_mode", image: [1, 2, 5, 5]) { c in
            let x = c.data(c.distinct(50))
            return (c.net.node("MaxPool", [x], [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2]), .int("ceil_mode", 1)]), 4)
        },
        Case(name: "AveragePool 3×3 stride 2 pads 1, padding excluded", image: [2, 3, 7, 6]) { c in
            let x = c.data(c.uniform(252, -1, 1))
            return (c.net.node("AveragePool", [x], [.ints("kernel_shape", [3, 3]), .ints("strides", [2, 2]), .ints("pads", [1, 1, 1, 1])]), 4)
        },
        Case(name: "AveragePool padding included, ceil_mode", image: [1, 2, 6, 5]) { c in
            let x = c.data(c.uniform(60, -1, 1))
            return (c.net.node("AveragePool", [x], [.ints("kernel_shape", [3, 2]), .ints("strides", [2, 2]), .ints("pads", [1, 0, 1, 1]),
                                                    .int("count_include_pad", 1), .int("ceil_mode", 1)]), 4)
        },
        Case(name: "GlobalAveragePool", image: [2, 3, 4, 5]) { c in
            (c.net.node("GlobalAveragePool", [c.data(c.uniform(120, -1, 1))]), 4)
        },
        Case(name: "GlobalMaxPool", image: [2, 3, 4, 5]) { c in
            (c.net.node("GlobalMaxPool", [c.data(c.distinct(120))]), 4)
        },
    ]

    // MARK: normalization, softmax

    static let normalizations: [Case] = [
        Case(name: "BatchNormalization, training mode (batch statistics)", image: [4, 3, 3, 2]) { c in
            let x = c.data(c.uniform(72, -2, 2))
            let scale = c.parameter("scale", [3], c.uniform(3, 0.5, 1.5)), bias = c.parameter("bias", [3], c.uniform(3, -1, 1))
            let mean = c.parameter("mean", [3], [0.1, -0.2, 0.3]), variance = c.parameter("var", [3], [1, 2, 0.5])
            return (c.net.node("BatchNormalization", [x, scale, bias, mean, variance]), 4)
        },
        Case(name: "BatchNormalization, eval mode (running statistics)", image: [3, 3, 2, 2], training: false) { c in
            let x = c.data(c.uniform(36, -2, 2))
            let scale = c.parameter("scale", [3], c.uniform(3, 0.5, 1.5)), bias = c.parameter("bias", [3], c.uniform(3, -1, 1))
            let mean = c.parameter("mean", [3], [0.1, -0.2, 0.3]), variance = c.parameter("var", [3], [1, 2, 0.5])
            return (c.net.node("BatchNormalization", [x, scale, bias, mean, variance]), 4)
        },
        Case(name: "BatchNormalization on N×C (after a linear layer)", image: [5, 4]) { c in
            let x = c.data(c.uniform(20, -2, 2))
            let scale = c.parameter("scale", [4], c.uniform(4, 0.5, 1.5)), bias = c.parameter("bias", [4], c.uniform(4, -1, 1))
            let mean = c.parameter("mean", [4], [0, 0, 0, 0]), variance = c.parameter("var", [4], [1, 1, 1, 1])
            return (c.net.node("BatchNormalization", [x, scale, bias, mean, variance]), 2)
        },
        Case(name: "LayerNormalization over the last axis", image: [2, 3, 8]) { c in
            let x = c.data(c.uniform(48, -2, 2))
            let scale = c.parameter("scale", [8], c.uniform(8, 0.5, 1.5)), bias = c.parameter("bias", [8], c.uniform(8, -1, 1))
            return (c.net.node("LayerNormalization", [x, scale, bias], [.int("axis", -1)]), 3)
        },
        Case(name: "LayerNormalization over the last two axes", image: [2, 3, 4]) { c in
            let x = c.data(c.uniform(24, -2, 2))
            let scale = c.parameter("scale", [3, 4], c.uniform(12, 0.5, 1.5))
            return (c.net.node("LayerNormalization", [x, scale], [.int("axis", 1)]), 3)
        },
        Case(name: "Softmax", image: [3, 7]) { c in (c.net.node("Softmax", [c.data(c.uniform(21, -2, 2))]), 2) },
        Case(name: "Softmax axis 1 of 3", image: [2, 4, 3]) { c in
            (c.net.node("Softmax", [c.data(c.uniform(24, -2, 2))], [.int("axis", 1)]), 3)
        },
        Case(name: "LogSoftmax", image: [3, 7]) { c in (c.net.node("LogSoftmax", [c.data(c.uniform(21, -2, 2))]), 2) },
    ]

    // MARK: Gemm, MatMul

    static let linear: [Case] = [
        Case(name: "Gemm transB, bias broadcast", image: [3, 5]) { c in
            let a = c.data(c.uniform(15, -1, 1))
            let b = c.parameter("b", [4, 5], c.uniform(20, -1, 1)), bias = c.parameter("c", [4], c.uniform(4, -1, 1))
            return (c.net.node("Gemm", [a, b, bias], [.int("transB", 1)]), 2)
        },
        Case(name: "Gemm transA, alpha, beta, full C", image: [5, 3]) { c in
            let a = c.data(c.uniform(15, -1, 1))
            let b = c.parameter("b", [5, 4], c.uniform(20, -1, 1)), bias = c.parameter("c", [3, 4], c.uniform(12, -1, 1))
            return (c.net.node("Gemm", [a, b, bias], [.int("transA", 1), .float("alpha", 0.7), .float("beta", 0.5)]), 2)
        },
        Case(name: "MatMul 3-D × 2-D", image: [2, 3, 4]) { c in
            let a = c.data(c.uniform(24, -1, 1))
            return (c.net.node("MatMul", [a, c.parameter("b", [4, 5], c.uniform(20, -1, 1))]), 3)
        },
        Case(name: "MatMul batched with broadcast batch", image: [2, 1, 3, 4]) { c in
            let a = c.data(c.uniform(24, -1, 1))
            return (c.net.node("MatMul", [a, c.parameter("b", [3, 4, 2], c.uniform(24, -1, 1))]), 4)
        },
    ]

    // MARK: element-wise

    static let unary: [Case] = {
        func make(_ op: String, _ attributes: [Attribute] = [], opset: Int64 = 17,
                  values: @escaping @Sendable (inout GradientCheck) -> [Float]) -> Case {
            Case(name: op + (attributes.isEmpty ? "" : " \(attributes.map(\.name))"), image: [2, 3, 5], opset: opset) { c in
                (c.net.node(op, [c.data(values(&c))], attributes), 3)
            }
        }
        let wide: @Sendable (inout GradientCheck) -> [Float] = { $0.uniform(30, -2, 2) }
        let kinked: @Sendable (inout GradientCheck) -> [Float] = { $0.awayFromZero(30) }
        let positive: @Sendable (inout GradientCheck) -> [Float] = { $0.uniform(30, 0.5, 2) }
        return [
            make("Relu", values: kinked), make("LeakyRelu", [.float("alpha", 0.1)], values: kinked), make("Abs", values: kinked),
            make("Sigmoid", values: wide), make("Tanh", values: wide), make("Erf", values: wide), make("Neg", values: wide),
            make("Exp", values: wide), make("HardSigmoid", values: wide), make("HardSwish", values: wide),
            make("HardSigmoid", [.float("alpha", 0.5), .float("beta", 0.4)], values: { c in c.uniform(30, -0.7, 1.1) }),
            make("HardSwish", values: { c in c.uniform(30, -2.9, 2.9).map { $0 * 1.3 } }),
            make("Gelu", opset: 20, values: wide), make("Gelu", [.string("approximate", "tanh")], opset: 20, values: wide),
            make("Log", values: positive), make("Sqrt", values: positive), make("Reciprocal", values: positive),
            Case(name: "Clip (ReLU6 bounds from inputs)", image: [2, 3, 5]) { c in
                let x = c.data(c.uniform(30, 0.1, 0.9).map { $0 * 8 - 1 }.map { abs($0 - 6) < 0.1 || abs($0) < 0.1 ? $0 + 0.25 : $0 })
                let lo = c.parameter("lo", [], [0]), hi = c.parameter("hi", [], [6])
                return (c.net.node("Clip", [x, lo, hi]), 3)
            },
        ]
    }()

    static let binary: [Case] = {
        func make(_ op: String, a: @escaping @Sendable (inout GradientCheck) -> [Float],
                  b: @escaping @Sendable (inout GradientCheck) -> [Float]) -> [Case] {
            // Same shapes, then each operand broadcast against the other.
            [([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [3, 1]), ([3, 1], [2, 3, 4])].map { shapeA, shapeB in
                Case(name: "\(op) \(shapeA) with \(shapeB)", image: shapeA) { c in
                    let x = c.data(a(&c).prefix(shapeA.reduce(1, *)).map { $0 })
                    let y = c.parameter("other", shapeB, b(&c).prefix(shapeB.reduce(1, *)).map { $0 })
                    return (c.net.node(op, [x, y]), 3)
                }
            }
        }
        let any: @Sendable (inout GradientCheck) -> [Float] = { $0.uniform(24, -2, 2) }
        let positive: @Sendable (inout GradientCheck) -> [Float] = { $0.uniform(24, 0.5, 2) }
        return make("Add", a: any, b: any) + make("Sub", a: any, b: any) + make("Mul", a: any, b: any)
            + make("Div", a: any, b: positive) + [
                Case(name: "Pow with a constant exponent", image: [2, 3, 4]) { c in
                    let x = c.data(c.uniform(24, 0.5, 2))
                    return (c.net.node("Pow", [x, c.parameter("exponent", [], [2.5])]), 3)
                },
                Case(name: "PRelu with a per-channel slope", image: [2, 3, 2, 2]) { c in
                    let x = c.data(c.awayFromZero(24))
                    return (c.net.node("PRelu", [x, c.parameter("slope", [3, 1, 1], c.uniform(3, 0.05, 0.5))]), 4)
                },
            ]
    }()

    // MARK: shapes and data movement

    static let layout: [Case] = [
        Case(name: "Reshape", image: [2, 3, 4]) { c in
            (c.net.node("Mul", [c.net.node("Reshape", [c.data(c.uniform(24, -1, 1)), c.net.ints("shape", [4, -1])]),
                                c.parameter("m", [6], c.uniform(6, -1, 1))]), 2)
        },
        Case(name: "Flatten", image: [2, 3, 2]) { c in
            (c.net.node("Flatten", [c.data(c.uniform(12, -1, 1))], [.int("axis", 1)]), 2)
        },
        Case(name: "Squeeze and Unsqueeze", image: [2, 1, 3]) { c in
            let s = c.net.node("Squeeze", [c.data(c.uniform(6, -1, 1)), c.net.ints("axes", [1])])
            let u = c.net.node("Unsqueeze", [s, c.net.ints("axes2", [0])])
            return (c.net.node("Mul", [u, c.parameter("m", [3], c.uniform(3, -1, 1))]), 3)
        },
        Case(name: "Identity", image: [2, 3]) { c in (c.net.node("Identity", [c.data(c.uniform(6, -1, 1))]), 2) },
        Case(name: "Transpose", image: [2, 3, 4]) { c in
            let t = c.net.node("Transpose", [c.data(c.uniform(24, -1, 1))], [.ints("perm", [2, 0, 1])])
            return (c.net.node("Mul", [t, c.parameter("m", [3], c.uniform(3, -1, 1))]), 3)
        },
        Case(name: "Slice with negative step and axes", image: [3, 7]) { c in
            let x = c.data(c.uniform(21, -1, 1))
            let s = c.net.node("Slice", [x, c.net.ints("starts", [6, 1]), c.net.ints("ends", [0, 3]), c.net.ints("axes", [1, 0]),
                                         c.net.ints("steps", [-2, 1])])
            return (s, 2)
        },
        Case(name: "Gather with repeated indices", image: [4, 3]) { c in
            let g = c.net.node("Gather", [c.data(c.uniform(12, -1, 1)), c.net.ints("indices", [2, 0, 2, 3])], [.int("axis", 0)])
            return (g, 2)
        },
        Case(name: "Expand", image: [3, 1]) { c in
            (c.net.node("Expand", [c.data(c.uniform(3, -1, 1)), c.net.ints("shape", [2, 3, 4])]), 3)
        },
        Case(name: "Split into unequal parts", image: [2, 5]) { c in
            let x = c.data(c.uniform(10, -1, 1))
            let first = c.net.node("Split", [x, c.net.ints("split", [2, 3])], outputs: 2, [.int("axis", 1)])
            let sliced = c.net.node("Slice", [first + "_1", c.net.ints("s", [0]), c.net.ints("e", [2]), c.net.ints("a", [1])])
            return (c.net.node("Mul", [first, sliced]), 2)
        },
        Case(name: "Concat", image: [2, 2, 3]) { c in
            let x = c.data(c.uniform(12, -1, 1))
            return (c.net.node("Concat", [x, c.parameter("other", [2, 1, 3], c.uniform(6, -1, 1)), x], [.int("axis", 1)]), 3)
        },
        Case(name: "ReduceMean over axes 1 and 2, keepdims", image: [2, 3, 4]) { c in
            (c.net.node("ReduceMean", [c.data(c.uniform(24, -1, 1))], [.ints("axes", [1, 2])]), 3)
        },
        Case(name: "ReduceSum over axis 1 without keepdims", image: [2, 3, 4]) { c in
            (c.net.node("ReduceSum", [c.data(c.uniform(24, -1, 1)), c.net.ints("axes", [1])], [.int("keepdims", 0)]), 2)
        },
        Case(name: "Dropout, training mode (seeded mask)", image: [4, 8]) { c in
            (c.net.node("Dropout", [c.data(c.uniform(32, -1, 1)), c.parameter("ratio", [], [0.5])]), 2)
        },
    ]
}
