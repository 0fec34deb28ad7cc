import PareCore
import PareEngine
import PareIR
import PareKernels
import PareRuntime
import PareTestSupport
import Testing

@Suite struct InferenceSessionTests {
    /// NaN on either side counts as infinitely wrong (a plain max() would pass over it).
    static func worstRelativeError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { $0.isNaN || $1.isNaN ? .infinity : abs($0 - $1) / max(1, abs($1)) }.max() ?? 1
    }

    /// The definition of the network's first `NetBuilder.conv` (3×3, padding 1, bias) on a 1×3×5×5
    /// input: weights 0, 1, 2, … and biases 0.5, 1.5, … as the builder makes them.
    static func builderConv(_ x: DenseTensor, outChannels m: Int) -> [Float] {
        var s = Conv2DShape(batch: 1, inChannels: 3, height: 5, width: 5, outChannels: m, kernelH: 3, kernelW: 3)
        s.padTop = 1; s.padLeft = 1; s.padBottom = 1; s.padRight = 1
        let w = (0..<(m * 3 * 9)).map { Float($0) }, bias = (0..<m).map { 0.5 + Float($0) }
        var conv = [Float](repeating: 0, count: m * 25)
        Conv2D.reference(s, input: x.floats, weight: w, bias: bias, output: &conv)
        return conv
    }

    static func input(_ shape: [Int], seed: UInt64) -> DenseTensor {
        var random = SeededRandom(seed: seed)
        return DenseTensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in Float(random.below(2001) - 1000) / 500 })
    }

    /// Conv weights computed from the input (weight × mean(x)) change from run to run, and their
    /// buffers are recycled between values, so the converted weights a session caches for
    /// constant ones (Winograd transforms, the shifted-tap kernel's packing) must not be reused
    /// for them: each run matches the definition with that run's weights. Two convs of the same
    /// weight size in a row make the second weight likely to land in the first one's buffer.
    @Test func weightsComputedFromTheInputAreNotCached() throws {
        // 32 channels on 10×10 (Winograd's domain), then 8 on 7×7 (the shifted-tap kernel's).
        for (channels, size) in [(32, 10), (8, 7)] {
            var net = NetBuilder(dims: [1, Int64(channels), Int64(size), Int64(size)])
            let mean = net.node("ReduceMean", ["x"], [.int("keepdims", 1)])
            var value = "x"
            var weights: [[Float]] = []
            for layer in 0..<2 {
                let base = net.weight("w\(layer)", [Int64(channels), Int64(channels), 3, 3], base: Float(layer))
                weights.append((0..<(channels * channels * 9)).map { Float(layer) + Float($0) })
                let scaled = net.node("Mul", [base, mean])
                let scaledDown = net.node("Mul", [scaled, net.weight("s\(layer)", [1], values: [1e-4])])
                value = net.node("Conv", [value, scaledDown], [.ints("kernel_shape", [3, 3]), .ints("pads", [1, 1, 1, 1])])
            }
            let session = try InferenceSession(model: net.model(output: value), path: "dynamic.onnx", threads: 2)
            var s = Conv2DShape(batch: 1, inChannels: channels, height: size, width: size, outChannels: channels, kernelH: 3, kernelW: 3)
            s.padTop = 1; s.padLeft = 1; s.padBottom = 1; s.padRight = 1
            for (run, factor) in [Float(1), 2, -3].enumerated() {
                let x = DenseTensor(shape: [1, channels, size, size], floats: Self.input([1, channels, size, size], seed: 9).floats.map { $0 * factor })
                let y = try #require(try session.run(["x": x])[value])
                let m = x.floats.reduce(0, +) / Float(x.count)
                var expected = x.floats
                for w in weights {
                    var out = [Float](repeating: 0, count: expected.count)
                    Conv2D.reference(s, input: expected, weight: w.map { $0 * m * 1e-4 }, bias: nil, output: &out)
                    expected = out
                }
                let scale = expected.map(abs).max() ?? 1
                let worst = zip(y.floats, expected).map { abs($0 - $1) / scale }.max() ?? 1
                #expect(worst < 1e-4, "\(channels) channels on \(size)×\(size), run \(run): worst error \(worst) of the largest output")
            }
        }
    }

    /// Conv → BatchNormalization → Relu runs as one fused step and still equals the three ops
    /// computed one after another from their definitions.
    @Test func convBatchNormReluFusesAndMatchesTheDefinition() throws {
        var net = NetBuilder(dims: [1, 3, 5, 5])
        let c = net.conv("x", "conv", out: 4, in: 3, bias: true)
        let b = net.batchNorm(c, "bn", channels: 4)
        let r = net.node("Relu", [b])
        let session = try InferenceSession(model: net.model(output: r), path: "fused.onnx", threads: 2)
        let x = Self.input([1, 3, 5, 5], seed: 3)
        let y = try #require(try session.run(["x": x])[r])
        #expect(session.stepCount(for: [[1, 3, 5, 5]]) == 1)

        let conv = Self.builderConv(x, outChannels: 4)
        let expected = conv.indices.map { i -> Float in
            let ch = Float(i / 25)
            let (gamma, beta, mean, variance) = (1 + ch, 2 + ch, 3 + ch, 4 + ch)
            return max(0, (conv[i] - mean) / (variance + 1e-5).squareRoot() * gamma + beta)
        }
        // Relative to the largest output: with weights up to 107 the sums cancel to values far
        // below their terms, and a GEMM kernel that sums in another order (OpenBLAS's Zen kernel
        // against the reference) was off by 3e-5 of such a value, well within 1e-6 of the largest.
        let scale = expected.map(abs).max() ?? 1
        let worst = zip(y.floats, expected).map { $0.isNaN ? .infinity : abs($0 - $1) / scale }.max() ?? 1
        #expect(y.shape == [1, 4, 5, 5] && worst < 1e-6, "worst error \(worst) of the largest output")
    }

    /// A residual block's Add (Conv → Add(conv, shortcut) → Relu) runs inside the conv as one
    /// step, with the shortcut on either side; an Add whose other operand broadcasts is fused too
    /// and still computes the broadcast sum.
    @Test func residualAddFusesIntoTheConv() throws {
        for (shortcutFirst, broadcast) in [(false, false), (true, false), (false, true)] {
            var net = NetBuilder(dims: [1, 3, 5, 5])
            let c = net.conv("x", "conv", out: 3, in: 3, bias: true)
            let other = broadcast ? net.weight("shift", [1, 3, 1, 1], base: -2) : "x"
            let sum = net.node("Add", shortcutFirst ? [other, c] : [c, other])
            let r = net.node("Relu", [sum])
            let session = try InferenceSession(model: net.model(output: r), path: "residual.onnx", threads: 2)
            let x = Self.input([1, 3, 5, 5], seed: 5)
            let y = try #require(try session.run(["x": x])[r])
            #expect(session.stepCount(for: [[1, 3, 5, 5]]) == 1)

            let conv = Self.builderConv(x, outChannels: 3)
            let expected = conv.indices.map { i in max(0, conv[i] + (broadcast ? -2 + Float(i / 25) : x.floats[i])) }
            let worst = Self.worstRelativeError(y.floats, expected)
            #expect(y.shape == [1, 3, 5, 5] && worst < 1e-5, "shortcut first \(shortcutFirst), broadcast \(broadcast): \(worst)")
        }
    }

    /// Shape → Gather → Unsqueeze → Concat → Reshape, as exporters write `x.view(x.size(0), -1)`:
    /// after the first run for a shape only the Reshape runs, and a new batch size is re-planned.
    @Test func shapeSubgraphsFoldPerInputShape() throws {
        var net = NetBuilder(dims: [1, 4, 2, 2])
        let shape = net.node("Shape", ["x"])
        let zero = net.ints("zero", [0])
        let batch = net.node("Gather", [shape, zero], [.int("axis", 0)])
        let rest = net.ints("rest", [-1])
        let target = net.node("Concat", [batch, rest], [.int("axis", 0)])
        let out = net.node("Reshape", ["x", target])
        var model = net.model(output: out, outputRank: 2)
        model.graph!.inputs[0].type = .tensor(DType.float.rawValue, Shape([.symbol("N"), .known(4), .known(2), .known(2)]))
        let session = try InferenceSession(model: model, path: "view.onnx")
        for n in [2, 3, 2] {
            let x = Self.input([n, 4, 2, 2], seed: UInt64(n))
            let y = try #require(try session.run(["x": x])[out])
            #expect(y.shape == [n, 16] && y.floats == x.floats)
            #expect(session.stepCount(for: [[n, 4, 2, 2]]) == 1)
        }
    }

    @Test func badFeedsNameTheInput() throws {
        var net = NetBuilder(dims: [1, 2, 3, 3])
        let r = net.node("Relu", ["x"])
        let session = try InferenceSession(model: net.model(output: r), path: "relu.onnx")
        #expect(throws: PareError.self) { try session.run([:]) }
        do {
            _ = try session.run(["x": Self.input([1, 2, 4, 4], seed: 1)])
            Issue.record("a wrong shape must be refused")
        } catch let error as PareError {
            #expect(error.place == "input 'x'" && error.message.contains("[1, 2, 3, 3]"))
        }
        do {
            _ = try session.run(["x": DenseTensor(shape: [1, 2, 3, 3], int64s: Array(repeating: 0, count: 18))])
            Issue.record("a wrong element type must be refused")
        } catch let error as PareError {
            #expect(error.place == "input 'x'" && error.message.contains("float"))
        }
    }

    @Test func unsupportedOpsAreAllReportedBeforeRunning() {
        var net = NetBuilder(dims: [1, 2, 3, 3])
        let a = net.node("NonMaxSuppression", ["x"])
        let b = net.node("Fancy", [a], domain: "com.example")
        do {
            _ = try InferenceSession(model: net.model(output: b), path: "bad.onnx")
            Issue.record("unsupported ops must be refused")
        } catch let error as PareError {
            #expect(error.message.contains("NonMaxSuppression_1") && error.message.contains("Fancy_2")
                    && error.message.contains("com.example"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
