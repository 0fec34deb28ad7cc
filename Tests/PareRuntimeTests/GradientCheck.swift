import PareCore
import PareEngine
import PareIR
import PareRuntime
import PareTestSupport

/// A finite-difference check of `TrainingSession.backward`: for L = Σ output · R with a fixed
/// random R, every parameter's analytic dL/dp is compared, element by element on a seeded sample,
/// with the central difference (L(p + h) − L(p − h)) / 2h computed from two forward passes.
///
/// The graphs feed the op under test from trainable initializers (an image input of zeros is
/// added to the first operand, because a training session needs one image input), so the
/// gradient of every operand, data included, is a parameter gradient here. Values are chosen
/// away from kinks (ReLU at 0, max-pool ties, clip bounds) by more than h, where the difference
/// quotient would not be a derivative.
struct GradientCheck {
    var net: NetBuilder
    let image: [Int]
    var training = true
    var step: Float = 1e-2
    /// Largest allowed |numeric − analytic| relative to the parameter's largest |gradient|.
    var tolerance = 1e-2
    var opset: Int64 = 17
    private var random: SeededRandom

    init(image: [Int], seed: UInt64 = 1) {
        self.image = image
        net = NetBuilder(input: "image", dims: image.map(Int64.init))
        random = SeededRandom(seed: seed, stream: 0x4644)
    }

    /// Uniform values in lo…hi.
    mutating func uniform(_ count: Int, _ lo: Float, _ hi: Float) -> [Float] {
        (0..<count).map { _ in lo + (hi - lo) * Float(Double(random.next() >> 40) / Double(1 << 24)) }
    }

    /// Values in ±(margin…limit): away from 0 by `margin`, for ops with a kink there.
    mutating func awayFromZero(_ count: Int, margin: Float = 0.1, limit: Float = 2) -> [Float] {
        uniform(count, margin, limit).map { random.below(2) == 0 ? $0 : -$0 }
    }

    /// Distinct values at least `gap` apart, shuffled: max pooling never sees a tie within h.
    mutating func distinct(_ count: Int, gap: Float = 0.05) -> [Float] {
        random.permutation(count).map { Float($0 - count / 2) * gap }
    }

    /// A trainable initializer with `values`.
    @discardableResult
    mutating func parameter(_ name: String, _ dims: [Int], _ values: [Float]) -> String {
        net.weight(name, dims.map(Int64.init), values: values)
    }

    /// The first operand: image (zeros) + a trainable tensor of the image's shape.
    mutating func data(_ values: [Float]) -> String {
        let p = parameter("data", image, values)
        return net.node("Add", ["image", p])
    }

    struct Mismatch: CustomStringConvertible {
        let parameter: String, index: Int, analytic: Double, numeric: Double, relative: Double
        var description: String {
            "\(parameter)[\(index)]: analytic \(analytic), numeric \(numeric) (error \(relative) of the largest gradient)"
        }
    }

    /// Runs the check on `output` (declared with `rank` dims); returns the worst element per
    /// parameter that exceeds the tolerance (empty when all agree) and how many were compared.
    mutating func run(output: String, rank: Int, samples: Int = 48) throws -> (mismatches: [Mismatch], compared: Int) {
        let session = try TrainingSession(model: net.model(output: output, outputRank: rank, opset: opset), path: "gradient-check.onnx")
        let x = DenseTensor(shape: image, floats: [Float](repeating: 0, count: image.reduce(1, *)))
        let first = try session.forward(x, training: training)
        let r = DenseTensor(shape: first.output.shape, floats: uniform(first.output.count, -1, 1))
        let weights = r.floats.map(Double.init)
        let analytic = try session.backward(first, outputGradient: r).map(\.floats)
        let training = self.training
        func loss() throws -> Double {
            let out = try session.forward(x, training: training).output.floats
            return zip(out, weights).reduce(0) { $0 + Double($1.0) * $1.1 }
        }
        var mismatches: [Mismatch] = [], compared = 0
        for (parameter, gradient) in zip(session.parameters, analytic) {
            let value = parameter.value.pointer
            let picks = gradient.count <= samples ? Array(0..<gradient.count) : Array(random.permutation(gradient.count).prefix(samples))
            let scale = max(gradient.map { abs(Double($0)) }.max() ?? 0, 1e-3)
            var worst: Mismatch?
            for i in picks {
                let original = value[i]
                let up = original + step, down = original - step
                value[i] = up
                let lossUp = try loss()
                value[i] = down
                let lossDown = try loss()
                value[i] = original
                let numeric = (lossUp - lossDown) / (Double(up) - Double(down))
                let relative = abs(numeric - Double(gradient[i])) / scale
                compared += 1
                if relative > tolerance && relative > (worst?.relative ?? 0) {
                    worst = Mismatch(parameter: parameter.name, index: i, analytic: Double(gradient[i]), numeric: numeric, relative: relative)
                }
            }
            if let worst { mismatches.append(worst) }
        }
        return (mismatches, compared)
    }
}
