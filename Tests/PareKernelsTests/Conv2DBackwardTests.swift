import PareCore
import Testing
@testable import PareKernels

/// Conv2DBackward's GEMM, col2im, stride-1 adjoint-convolution and depthwise paths against the
/// definition (`reference`, in Double), with and without a worker pool and with and without the input gradient.
@Suite struct Conv2DBackwardTests {
    struct Errors { var input: Float = 0, weight: Float = 0, bias: Float = 0 }

    func check(_ s: Conv2DShape, seed: UInt64, threads: Int, wantInput: Bool) -> Errors {
        var random = SeededRandom(seed: seed)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(random.below(2001) - 1000) / 500 } }
        let x = values(s.batch * s.inChannels * s.height * s.width)
        let w = values(s.outChannels * s.channelsPerGroup * s.kernelH * s.kernelW)
        let dy = values(s.batch * s.outChannels * s.outHeight * s.outWidth)
        var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: .nan, count: w.count)
        var db = [Float](repeating: .nan, count: s.outChannels)
        var rx = dx, rw = dw, rb = db
        let pool = threads > 1 ? WorkerPool(threads: threads) : nil
        dx.withUnsafeMutableBufferPointer { dxp in
            Conv2DBackward.backward(s, input: x, weight: w, outputGradient: dy, inputGradient: wantInput ? dxp.baseAddress : nil,
                                    weightGradient: &dw, biasGradient: &db, pool: pool)
        }
        Conv2DBackward.reference(s, input: x, weight: w, outputGradient: dy, inputGradient: &rx, weightGradient: &rw, biasGradient: &rb)
        func error(_ a: [Float], _ b: [Float]) -> Float {
            let scale = max(b.map(abs).max() ?? 0, 1)
            return zip(a, b).map { $0.isNaN || $1.isNaN ? .infinity : abs($0 - $1) / scale }.max() ?? 0
        }
        return Errors(input: wantInput ? error(dx, rx) : 0, weight: error(dw, rw), bias: error(db, rb))
    }

    /// 90 random problems over the same space as the forward test, plus batches larger than the
    /// worker count so that several images share a block.
    @Test func gradientsMatchTheDefinition() {
        var random = SeededRandom(seed: 77)
        var schemes = Set<String>()
        for trial in 0..<90 {
            let groups = [1, 1, 2, 3][random.below(4)]
            var s = Conv2DShape(batch: 1 + random.below(5), inChannels: groups * (1 + random.below(4)),
                                height: 1 + random.below(9), width: 1 + random.below(9),
                                outChannels: groups * (1 + random.below(4)), kernelH: 1 + random.below(4), kernelW: 1 + random.below(4))
            s.groups = groups
            switch trial % 3 {
            case 0:
                s.groups = s.inChannels
                s.outChannels = s.inChannels * (1 + random.below(2))
            case 1:
                s.kernelH = 1; s.kernelW = 1
                s.strideH = 1 + random.below(2); s.strideW = s.strideH
            default: break
            }
            s.strideH = max(s.strideH, 1 + random.below(3)); s.strideW = max(s.strideW, 1 + random.below(3))
            if trial % 3 != 1 {
                s.dilationH = 1 + random.below(2); s.dilationW = 1 + random.below(2)
                s.padTop = random.below(3); s.padLeft = random.below(3); s.padBottom = random.below(3); s.padRight = random.below(3)
            }
            if s.problem != nil { s.padTop += s.kernelH * s.dilationH; s.padLeft += s.kernelW * s.dilationW }
            guard s.problem == nil else { Issue.record("trial \(trial): \(s.problem!)"); continue }
            schemes.insert(s.groups == s.inChannels && s.channelsPerGroup == 1 ? "depthwise" : Conv2D.isPointwise(s) ? "pointwise" : "im2col")
            let e = check(s, seed: UInt64(trial), threads: 1 + trial % 2, wantInput: trial % 5 != 0)
            #expect(max(e.input, e.weight, e.bias) < 1e-5, "trial \(trial): \(s) errors \(e)")
        }
        #expect(schemes == ["depthwise", "pointwise", "im2col"])
    }

    /// 30 random problems of the shifted-tap path (8–20 input channels, stride 1, kernels 1×2 to
    /// 3×3, asymmetric padding, 1–5 images on one or two workers), whose weight gradient and
    /// stride-1 input gradient (the adjoint conv) run without column matrices.
    @Test func shiftedTapGradientsMatchTheDefinition() {
        var random = SeededRandom(seed: 79)
        var checked = 0
        for trial in 0..<30 {
            var s = Conv2DShape(batch: 1 + random.below(5), inChannels: 8 + random.below(13), height: 6 + random.below(7),
                                width: 6 + random.below(7), outChannels: 1 + random.below(12), kernelH: 1 + random.below(3),
                                kernelW: 2 + random.below(2))
            s.padTop = random.below(3); s.padLeft = random.below(3); s.padBottom = random.below(3); s.padRight = random.below(3)
            let threads = 1 + trial % 2
            guard s.problem == nil, ShiftedTaps.applies(s, threads: threads) else { continue }
            let e = check(s, seed: UInt64(100 + trial), threads: threads, wantInput: trial % 3 != 0)
            #expect(max(e.input, e.weight, e.bias) < 1e-5, "trial \(trial): \(s) errors \(e)")
            checked += 1
        }
        #expect(checked >= 20)
    }

    /// The shapes of a CIFAR ResNet-20's convolutions at batch 32, with two workers.
    @Test func resnetShapesMatchTheDefinition() {
        for (cin, cout, size, k, stride) in [(3, 16, 32, 3, 1), (16, 16, 32, 3, 1), (16, 32, 32, 3, 2), (32, 64, 16, 3, 2),
                                             (32, 64, 16, 1, 2), (64, 64, 8, 3, 1)] {
            var s = Conv2DShape(batch: 32, inChannels: cin, height: size, width: size, outChannels: cout, kernelH: k, kernelW: k)
            s.strideH = stride; s.strideW = stride
            s.padTop = k / 2; s.padLeft = k / 2; s.padBottom = k / 2; s.padRight = k / 2
            for wantInput in [true, false] {
                let e = check(s, seed: UInt64(cin * cout), threads: 2, wantInput: wantInput)
                #expect(max(e.input, e.weight, e.bias) < 1e-5, "\(s) input gradient \(wantInput): \(e)")
            }
        }
    }
}
