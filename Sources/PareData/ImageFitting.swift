/// Brings one C×H×W image to the model's input size (see `InputFit`).
enum ImageFitting {
    static func fit(_ source: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                    into out: UnsafeMutablePointer<Float>, fit: InputFit, black: [Float]) {
        switch fit {
        case .none:
            out.update(from: source, count: channels * height * width)
        case let .pad(outH, outW):
            let top = (outH - height) / 2, left = (outW - width) / 2
            for c in 0..<channels {
                let plane = out + c * outH * outW
                plane.update(repeating: black[c], count: outH * outW)
                for y in 0..<height {
                    (plane + (top + y) * outW + left).update(from: source + (c * height + y) * width, count: width)
                }
            }
        case let .resize(outH, outW):
            let scaleY = Float(height) / Float(outH), scaleX = Float(width) / Float(outW)
            for c in 0..<channels {
                let plane = source + c * height * width
                for y in 0..<outH {
                    let (y0, y1, fy) = taps(Float(y), scale: scaleY, extent: height)
                    for x in 0..<outW {
                        let (x0, x1, fx) = taps(Float(x), scale: scaleX, extent: width)
                        let top = plane[y0 * width + x0] * (1 - fx) + plane[y0 * width + x1] * fx
                        let bottom = plane[y1 * width + x0] * (1 - fx) + plane[y1 * width + x1] * fx
                        out[(c * outH + y) * outW + x] = top * (1 - fy) + bottom * fy
                    }
                }
            }
        }
    }

    /// The two source indices and the weight of the second for output coordinate `o`, with
    /// half-pixel centres and edge clamping.
    private static func taps(_ o: Float, scale: Float, extent: Int) -> (Int, Int, Float) {
        let s = max((o + 0.5) * scale - 0.5, 0)
        let i0 = min(Int(s), extent - 1)
        let i1 = min(i0 + 1, extent - 1)
        return (i0, i1, s - Float(i0))
    }
}
