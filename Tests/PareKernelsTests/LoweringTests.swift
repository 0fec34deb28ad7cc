import PareCore
import Testing
@testable import PareKernels

/// `Conv2D.lowerChannels` (im2col) against its definition on random geometries, for arbitrary
/// pixel ranges (tiles that start and end mid-row) and with a row stride (several images side by
/// side) — in particular the stride-1 shifted-plane path, which writes whole rows at once and
/// patches the edges.
@Suite struct LoweringTests {
    @Test func columnsHoldWhatEachTapReads() {
        var random = SeededRandom(seed: 2024)
        var shiftedPlane = 0
        for trial in 0..<200 {
            var s = Conv2DShape(batch: 1, inChannels: 1 + random.below(3), height: 1 + random.below(9), width: 1 + random.below(9),
                                outChannels: 1, kernelH: 1 + random.below(4), kernelW: 1 + random.below(4))
            if trial % 2 == 0 {
                // Same-width output with stride 1 (the shifted-plane path), asymmetric pads allowed.
                s.dilationH = 1 + random.below(2); s.dilationW = 1 + random.below(2)
                let reachW = (s.kernelW - 1) * s.dilationW
                s.padLeft = random.below(reachW + 1); s.padRight = reachW - s.padLeft
                s.padTop = random.below(4); s.padBottom = random.below(4)
            } else {
                s.strideH = 1 + random.below(3); s.strideW = 1 + random.below(3)
                s.dilationH = 1 + random.below(2); s.dilationW = 1 + random.below(2)
                s.padTop = random.below(3); s.padLeft = random.below(3); s.padBottom = random.below(3); s.padRight = random.below(3)
            }
            guard s.problem == nil else { continue }
            if s.strideH == 1 && s.strideW == 1 && s.outWidth == s.width { shiftedPlane += 1 }
            let plane = s.outHeight * s.outWidth
            let x = (0..<(s.inChannels * s.height * s.width)).map { Float($0 + 1) }
            let lo = random.below(plane), hi = lo + 1 + random.below(plane - lo)
            let stride = (hi - lo) + random.below(3)
            let rows = s.inChannels * s.kernelH * s.kernelW
            var columns = [Float](repeating: .nan, count: rows * stride)
            Conv2D.lowerChannels(s, x, 0..<s.inChannels, lo..<hi, &columns, rowStride: stride)
            var wrong = 0
            for c in 0..<s.inChannels {
                for ky in 0..<s.kernelH {
                    for kx in 0..<s.kernelW {
                        let row = (c * s.kernelH + ky) * s.kernelW + kx
                        for p in lo..<hi {
                            let oy = p / s.outWidth, ox = p % s.outWidth
                            let iy = oy * s.strideH - s.padTop + ky * s.dilationH, ix = ox * s.strideW - s.padLeft + kx * s.dilationW
                            let inside = iy >= 0 && iy < s.height && ix >= 0 && ix < s.width
                            let expected = inside ? x[(c * s.height + iy) * s.width + ix] : 0
                            if columns[row * stride + p - lo] != expected { wrong += 1 }
                        }
                    }
                }
            }
            #expect(wrong == 0, "trial \(trial): \(s), pixels \(lo)..<\(hi): \(wrong) wrong entries")
        }
        #expect(shiftedPlane > 50)
    }
}
