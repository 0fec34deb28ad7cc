import PareCore
import Testing
@testable import PareKernels

@Suite struct Conv2DTests {
    func check(_ s: Conv2DShape, bias: Bool, seed: UInt64) -> Float {
        var random = SeededRandom(seed: seed)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(random.below(2001) - 1000) / 500 } }
        let x = values(s.batch * s.inChannels * s.height * s.width)
        let w = values(s.outChannels * s.channelsPerGroup * s.kernelH * s.kernelW)
        let b = values(s.outChannels)
        let count = s.batch * s.outChannels * s.outHeight * s.outWidth
        var fast = [Float](repeating: .nan, count: count), slow = fast
        b.withUnsafeBufferPointer { bp in
            Conv2D.forward(s, input: x, weight: w, bias: bias ? bp.baseAddress : nil, output: &fast)
            Conv2D.reference(s, input: x, weight: w, bias: bias ? bp.baseAddress : nil, output: &slow)
        }
        return EngineKernelTests.maxRelativeError(fast, slow)
    }

    /// 120 random problems: odd sizes, strides, dilations, asymmetric pads, groups (depthwise with
    /// and without a multiplier, grouped, plain) and 1×1 convs; each scheme against the definition.
    @Test func everySchemeMatchesTheDefinition() {
        var random = SeededRandom(seed: 2026)
        var schemes = Set<String>()
        for trial in 0..<120 {
            let groups = [1, 1, 2, 3][random.below(4)]
            var s = Conv2DShape(batch: 1 + random.below(2), inChannels: groups * (1 + random.below(4)),
                                height: 1 + random.below(9), width: 1 + random.below(9),
                                outChannels: groups * (1 + random.below(4)), kernelH: 1 + random.below(4), kernelW: 1 + random.below(4))
            s.groups = groups
            switch trial % 4 {
            case 0:  // depthwise, sometimes with a depth multiplier
                s.groups = s.inChannels
                s.outChannels = s.inChannels * (1 + random.below(2))
            case 1:  // 1×1 stride 1: the direct GEMM path
                s.kernelH = 1; s.kernelW = 1
            default:
                s.strideH = 1 + random.below(3); s.strideW = 1 + random.below(3)
                s.dilationH = 1 + random.below(2); s.dilationW = 1 + random.below(2)
                s.padTop = random.below(3); s.padLeft = random.below(3); s.padBottom = random.below(3); s.padRight = random.below(3)
            }
            if s.problem != nil { s.padTop += s.kernelH * s.dilationH; s.padLeft += s.kernelW * s.dilationW }
            #expect(s.problem == nil, "trial \(trial): \(s)")
            guard s.problem == nil else { continue }
            let isDepthwise = s.groups == s.inChannels && s.channelsPerGroup == 1
            let is1x1 = s.kernelH == 1 && s.kernelW == 1 && s.strideH == 1 && s.strideW == 1 && s.padTop + s.padLeft + s.padBottom + s.padRight == 0
            schemes.insert(isDepthwise ? "depthwise" : is1x1 ? "gemm" : "im2col")
            let error = check(s, bias: trial % 3 != 0, seed: UInt64(trial))
            #expect(error < 1e-4, "trial \(trial): \(s) relative error \(error)")
        }
        #expect(schemes == ["depthwise", "gemm", "im2col"])
    }

    @Test func geometryFollowsTheONNXFormula() {
        var s = Conv2DShape(batch: 1, inChannels: 3, height: 224, width: 224, outChannels: 64, kernelH: 7, kernelW: 7)
        s.strideH = 2; s.strideW = 2; s.padTop = 3; s.padLeft = 3; s.padBottom = 3; s.padRight = 3
        #expect(s.outHeight == 112 && s.outWidth == 112 && s.problem == nil)
        s.groups = 2
        #expect(s.problem != nil)
        var tiny = Conv2DShape(batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1, kernelH: 3, kernelW: 3)
        #expect(tiny.problem != nil)
        tiny.padTop = 1; tiny.padBottom = 1; tiny.padLeft = 1; tiny.padRight = 1
        #expect(tiny.problem == nil && tiny.outHeight == 2)
    }
}
