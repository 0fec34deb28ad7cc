import Foundation

/// Mean softmax cross-entropy over a batch of logits (N × classes, row-major), as
/// `torch.nn.functional.cross_entropy` computes it, with its gradient with respect to the logits.
public enum SoftmaxCrossEntropy {
    public struct Result: Sendable {
        /// The mean loss over the batch.
        public var loss: Double
        /// How many rows have the label as their largest logit (the first one on ties).
        public var correct: Int
    }

    /// `gradient`, when given, receives dL/d(logits) = (softmax − onehot) / N.
    public static func evaluate(logits: UnsafePointer<Float>, rows: Int, classes: Int, labels: [Int32],
                                gradient: UnsafeMutablePointer<Float>?) -> Result {
        var total: Double = 0
        var correct = 0
        for r in 0..<rows {
            let row = logits + r * classes, label = Int(labels[r])
            var best = 0
            var peak = row[0]
            for c in 1..<classes where row[c] > peak { peak = row[c]; best = c }
            if best == label { correct += 1 }
            var sum: Float = 0
            for c in 0..<classes { sum += expf(row[c] - peak) }
            let logSum = logf(sum) + peak
            total += Double(logSum - row[label])
            if let gradient {
                let g = gradient + r * classes, scale = 1 / Float(rows)
                for c in 0..<classes { g[c] = expf(row[c] - logSum) * scale }
                g[label] -= scale
            }
        }
        return Result(loss: total / Double(max(rows, 1)), correct: correct)
    }
}
