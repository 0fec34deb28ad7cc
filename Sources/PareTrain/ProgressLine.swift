/// The one-line progress display of a training run: on a terminal it is redrawn in place
/// (carriage return), elsewhere a plain line is printed every so often, so logs stay readable.
public struct ProgressLine: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var epoch: Int
        public var epochs: Int
        public var batch: Int
        public var batches: Int
        public var loss: Double
        public var imagesPerSecond: Double
        /// Seconds left in the whole run, estimated from the rate so far.
        public var secondsLeft: Double

        public init(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, imagesPerSecond: Double, secondsLeft: Double) {
            self.epoch = epoch; self.epochs = epochs; self.batch = batch; self.batches = batches
            self.loss = loss; self.imagesPerSecond = imagesPerSecond; self.secondsLeft = secondsLeft
        }
    }

    public var isTerminal: Bool
    public var width: Int

    public init(isTerminal: Bool, width: Int = 24) {
        self.isTerminal = isTerminal; self.width = width
    }

    /// "epoch 2/3 [#########-----------] 412/938 loss 0.4123 1830 img/s ETA 1:02"
    public func render(_ s: Snapshot) -> String {
        let done = s.batches > 0 ? min(width, s.batch * width / s.batches) : 0
        let bar = String(repeating: "#", count: done) + String(repeating: "-", count: width - done)
        let loss = s.loss.isFinite ? formatFixed(s.loss, digits: 4) : "\(s.loss)"
        return "epoch \(s.epoch)/\(s.epochs) [\(bar)] \(s.batch)/\(s.batches) loss \(loss) "
            + "\(Int(s.imagesPerSecond.rounded())) img/s ETA \(Self.clock(s.secondsLeft))"
    }

    /// What to write for this snapshot: the redrawn line on a terminal; elsewhere a full line only
    /// every `plainEvery` batches and at the end of an epoch (nil: print nothing now).
    public func output(_ s: Snapshot, plainEvery: Int = 100) -> String? {
        if isTerminal { return "\r" + render(s) + (s.batch == s.batches ? "\n" : "") }
        guard s.batch == s.batches || (plainEvery > 0 && s.batch % plainEvery == 0) else { return nil }
        return render(s) + "\n"
    }

    /// h:mm:ss or m:ss.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let total = Int(seconds.rounded())
        let h = total / 3600, m = total / 60 % 60, s = total % 60
        let ss = s < 10 ? "0\(s)" : "\(s)"
        if h > 0 { return "\(h):\(m < 10 ? "0" : "")\(m):\(ss)" }
        return "\(m):\(ss)"
    }
}

/// Fixed-point formatting without Foundation's locale-dependent `String(format:)`.
func formatFixed(_ value: Double, digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale), fraction = Int(scaled) - whole * Int(scale)
    var fractionText = String(fraction)
    while fractionText.count < digits { fractionText = "0" + fractionText }
    return (value < 0 && scaled > 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + fractionText : "")
}
