import PareCore
import PareEngine
import PareIR
import PareRuntime
import PareTestSupport
import Testing

/// A training session fuses a ReLU into the BatchNormalization, Add, Conv or Gemm whose output
/// only it reads; the step must come out exactly as unfused, bit for bit, and other pairs stay apart.
struct FusedRectifierTests {
    /// conv → BN → ReLU (fusable) → conv → BN, whose output both a ReLU and an Add read (not
    /// fusable) → Add → ReLU (fusable) → conv → ReLU (fusable) → global average pool → Gemm →
    /// ReLU (fusable; the graph's output).
    static func model() -> Model {
        var random = SeededRandom(seed: 7, stream: 0x4652)
        func values(_ n: Int, _ lo: Float, _ hi: Float) -> [Float] {
            (0..<n).map { _ in lo + (hi - lo) * Float(Double(random.next() >> 40) / Double(1 << 24)) }
        }
        var net = NetBuilder(input: "image", dims: [4, 3, 6, 6])
        func block(_ x: String, _ name: String, in c: Int) -> String {
            let w = net.weight(name + ".w", [4, Int64(c), 3, 3], values: values(36 * c, -0.5, 0.5))
            let y = net.node("Conv", [x, w], [.ints("kernel_shape", [3, 3]), .ints("pads", [1, 1, 1, 1])])
            let bn = [("scale", values(4, 0.5, 1.5)), ("bias", values(4, -0.3, 0.3)), ("mean", values(4, -0.1, 0.1)), ("var", values(4, 0.5, 2))]
                .map { net.weight("\(name).\($0.0)", [4], values: $0.1) }
            return net.node("BatchNormalization", [y] + bn)
        }
        let first = block("image", "b1", in: 3)
        let second = block(net.node("Relu", [first]), "b2", in: 4)
        let sum = net.node("Relu", [net.node("Add", [net.node("Relu", [second]), second])])
        let w = net.weight("c3.w", [4, 4, 3, 3], values: values(144, -0.5, 0.5))
        let third = net.node("Relu", [net.node("Conv", [sum, w], [.ints("kernel_shape", [3, 3]), .ints("pads", [1, 1, 1, 1])])])
        let pooled = net.node("Flatten", [net.node("GlobalAveragePool", [third])])
        let fc = net.weight("fc.w", [3, 4], values: values(12, -1, 1)), fcBias = net.weight("fc.b", [3], values: values(3, 0, 0.5))
        let logits = net.node("Relu", [net.node("Gemm", [pooled, fc, fcBias], [.int("transB", 1)])])
        return net.model(output: logits, outputRank: 2)
    }

    @Test func fusedStepIsBitIdenticalToUnfused() throws {
        var random = SeededRandom(seed: 11, stream: 0x4652)
        let image = DenseTensor(shape: [4, 3, 6, 6], floats: (0..<432).map { _ in Float(Double(random.next() >> 40) / Double(1 << 23)) - 1 })
        var results: [(output: [Float], gradients: [[Float]], statistics: [[Float]], fused: [Bool], firstNormalized: [Float])] = []
        for fuse in [true, false] {
            let session = try TrainingSession(model: Self.model(), path: "fused.onnx")
            session.fusesRectifiers = fuse
            let tape = try session.forward(image, training: true)
            let r = DenseTensor(shape: tape.output.shape, floats: (0..<tape.output.count).map { Float($0 % 7) - 3 })
            let gradients = try session.backward(tape, outputGradient: r).map(\.floats)
            let shared = { (bn: String, relu: String) in tape.value(bn)!.pointer == tape.value(relu)!.pointer }
            results.append((tape.output.floats, gradients, session.runningStatistics.map { session.constant($0)!.floats },
                            [shared("batchnormalization2", "relu3"), shared("batchnormalization5", "relu6"), shared("add7", "relu8"),
                             shared("conv9", "relu10"), shared("gemm13", "relu14")],
                            tape.value("batchnormalization2")!.floats))
        }
        let (fused, plain) = (results[0], results[1])
        #expect(fused.fused == [true, false, true, true, true], "only ReLUs that alone read a value are fused")
        #expect(plain.fused == [false, false, false, false, false])
        #expect(fused.output.map(\.bitPattern) == plain.output.map(\.bitPattern))
        #expect(fused.statistics.map { $0.map(\.bitPattern) } == plain.statistics.map { $0.map(\.bitPattern) })
        #expect(fused.gradients.count == 9)
        for (a, b) in zip(fused.gradients, plain.gradients) { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
        #expect(plain.gradients.allSatisfy { g in g.contains { $0 != 0 } })
        // Unfused, the first BN's output is the ReLU's input: it has values on both sides of the
        // gate, so the fused backward pass both passes and stops gradients.
        #expect(plain.firstNormalized.contains { $0 > 0 } && plain.firstNormalized.contains { $0 < 0 })
        #expect(fused.firstNormalized.allSatisfy { $0 >= 0 })
    }
}
