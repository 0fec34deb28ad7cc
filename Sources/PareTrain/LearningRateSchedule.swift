import Foundation

/// Learning-rate (and, for one-cycle, momentum) as a function of the iteration, stepped once per
/// batch. Closed forms of PyTorch's schedulers, computed in double precision as PyTorch computes
/// learning rates in Python floats.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        case constant
        /// Multiply by `gamma` at each milestone iteration (`MultiStepLR`).
        case multiStep(milestones: [Int], gamma: Double)
        /// Cosine from the base rate to `minimum` over the run (`CosineAnnealingLR`, T_max = total).
        case cosine(minimum: Double)
        /// `OneCycleLR` with cosine annealing: the base rate is the peak; momentum cycles inversely
        /// between `maxMomentum` and `baseMomentum` when the optimizer has momentum.
        case oneCycle(pctStart: Double, divFactor: Double, finalDivFactor: Double, baseMomentum: Double, maxMomentum: Double)

        /// PyTorch's defaults for `OneCycleLR`.
        public static let oneCycleDefaults = Shape.oneCycle(pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4,
                                                            baseMomentum: 0.85, maxMomentum: 0.95)
    }

    public var baseRate: Double
    public var shape: Shape
    public var totalSteps: Int
    /// Linear warm-up over the first iterations, multiplying the schedule by (step + 1) / warmup
    /// (`LinearLR(start_factor=1/warmup, total_iters=warmup-1)` chained with the main schedule).
    public var warmupSteps: Int

    public init(baseRate: Double, shape: Shape, totalSteps: Int, warmupSteps: Int = 0) throws {
        guard baseRate > 0, baseRate.isFinite else { throw OptimizerError.invalid("the learning rate must be positive") }
        guard totalSteps > 0 else { throw OptimizerError.invalid("a schedule needs at least one step") }
        guard warmupSteps >= 0, warmupSteps <= totalSteps else {
            throw OptimizerError.invalid("warm-up (\(warmupSteps) steps) must fit in the run (\(totalSteps) steps); shorten --warmup or train for more iterations")
        }
        if case let .oneCycle(pct, div, finalDiv, _, _) = shape {
            guard pct > 0, pct < 1, div > 0, finalDiv > 0 else {
                throw OptimizerError.invalid("one-cycle needs 0 < pct_start < 1 and positive division factors")
            }
            guard Int(pct * Double(totalSteps)) >= 2 else {
                throw OptimizerError.invalid("one-cycle needs at least 2 iterations in its rising phase (\(Int(pct * 100))% of the \(totalSteps)-step run); train for more iterations (a longer run or a smaller --batch)")
            }
        }
        if case let .multiStep(milestones, gamma) = shape {
            guard gamma > 0, milestones == milestones.sorted() else {
                throw OptimizerError.invalid("multi-step needs ascending milestones and a positive gamma")
            }
        }
        self.baseRate = baseRate; self.shape = shape; self.totalSteps = totalSteps; self.warmupSteps = warmupSteps
    }

    public func learningRate(at step: Int) -> Float {
        let warm = step < warmupSteps ? Double(step + 1) / Double(warmupSteps) : 1
        return Float(rate(at: step) * warm)
    }

    /// The momentum one-cycle prescribes at `step`, or nil when the schedule leaves it alone.
    public func momentum(at step: Int) -> Float? {
        guard case let .oneCycle(_, _, _, base, maxMomentum) = shape else { return nil }
        let (phase, pct) = oneCyclePhase(step)
        return Float(phase == 0 ? Self.cosineAnneal(from: maxMomentum, to: base, pct)
                                : Self.cosineAnneal(from: base, to: maxMomentum, pct))
    }

    private func rate(at step: Int) -> Double {
        switch shape {
        case .constant:
            return baseRate
        case let .multiStep(milestones, gamma):
            return baseRate * pow(gamma, Double(milestones.filter { $0 <= step }.count))
        case let .cosine(minimum):
            let t = Double(min(step, totalSteps))
            return minimum + (baseRate - minimum) * (1 + cos(Double.pi * t / Double(totalSteps))) / 2
        case let .oneCycle(_, div, finalDiv, _, _):
            let initial = baseRate / div, minimum = initial / finalDiv
            let (phase, pct) = oneCyclePhase(step)
            return phase == 0 ? Self.cosineAnneal(from: initial, to: baseRate, pct)
                              : Self.cosineAnneal(from: baseRate, to: minimum, pct)
        }
    }

    /// PyTorch's two phases: the first ends at iteration pct·total − 1, the second at total − 1.
    private func oneCyclePhase(_ step: Int) -> (phase: Int, pct: Double) {
        guard case let .oneCycle(pctStart, _, _, _, _) = shape else { return (0, 0) }
        let firstEnd = pctStart * Double(totalSteps) - 1, lastEnd = Double(totalSteps - 1)
        let s = Double(step)
        if s <= firstEnd { return (0, s / firstEnd) }
        return (1, (s - firstEnd) / (lastEnd - firstEnd))
    }

    private static func cosineAnneal(from start: Double, to end: Double, _ pct: Double) -> Double {
        end + (start - end) / 2 * (cos(Double.pi * pct) + 1)
    }
}
