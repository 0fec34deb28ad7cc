import Foundation
import Testing
@testable import PareTrain

/// PareTrain against PyTorch's own optimizers and schedulers (fixture written by
/// tests/train/make_optimizer_fixture.py, seeded).
@Suite struct OptimizerParityTests {
    struct Fixture: Decodable {
        var names: [String]
        var start: [String: [Float]]
        var grads: [[String: [Float]]]
        var lrs: [Float]
        var optimizers: [String: [[String: [Float]]]]
        var clip: Clip
        var schedules: [String: [Point]]
        struct Clip: Decodable { var max_norm: Float; var norm: Float; var grads: [[Float]] }
        struct Point: Decodable { var lr: Double; var momentum: Double }
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/optimizer.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    func close(_ a: [Float], _ b: [Float], tolerance: Float = 2e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    }

    func replay(_ optimizer: inout some Optimizer, expected key: String) {
        let f = Self.fixture
        var params = f.start
        for (step, grads) in f.grads.enumerated() {
            for name in f.names {
                var p = params[name]!
                let g = grads[name]!
                p.withUnsafeMutableBufferPointer { pb in
                    g.withUnsafeBufferPointer { optimizer.step(name: name, parameter: pb, gradient: $0, learningRate: f.lrs[step]) }
                }
                params[name] = p
                #expect(close(p, f.optimizers[key]![step][name]!), "\(key) step \(step) \(name)")
            }
        }
    }

    @Test(arguments: [("sgd_nesterov", Float(0.9), Float(0), true, Float(5e-4)),
                      ("sgd_dampened", 0.9, 0.1, false, 1e-4),
                      ("sgd_plain", 0, 0, false, 0)])
    func sgdStepsLikePyTorch(_ key: String, _ momentum: Float, _ dampening: Float, _ nesterov: Bool, _ decay: Float) throws {
        var sgd = try SGD(momentum: momentum, dampening: dampening, nesterov: nesterov, weightDecay: decay)
        replay(&sgd, expected: key)
        #expect(sgd.state.count == (momentum > 0 ? 2 : 0))
    }

    @Test func adamWStepsLikePyTorch() throws {
        var adam = try AdamW(weightDecay: 0.01)
        replay(&adam, expected: "adamw")
        #expect(adam.state["conv.weight"]?["step"] == [6])
    }

    @Test func stateRestoresToTheSameTrajectory() throws {
        let f = Self.fixture
        var first = try SGD(momentum: 0.9, nesterov: true, weightDecay: 5e-4)
        var p = f.start["bn.bias"]!
        let g = f.grads[0]["bn.bias"]!
        p.withUnsafeMutableBufferPointer { pb in g.withUnsafeBufferPointer { first.step(name: "bn.bias", parameter: pb, gradient: $0, learningRate: 0.1) } }
        var resumed = try SGD(momentum: 0.9, nesterov: true, weightDecay: 5e-4)
        resumed.restore(first.state)
        var a = p, b = p
        a.withUnsafeMutableBufferPointer { pb in g.withUnsafeBufferPointer { first.step(name: "bn.bias", parameter: pb, gradient: $0, learningRate: 0.1) } }
        b.withUnsafeMutableBufferPointer { pb in g.withUnsafeBufferPointer { resumed.step(name: "bn.bias", parameter: pb, gradient: $0, learningRate: 0.1) } }
        #expect(a == b)
    }

    @Test func invalidSettingsAreRefused() {
        #expect(throws: OptimizerError.self) { try SGD(momentum: 0, nesterov: true) }
        #expect(throws: OptimizerError.self) { try SGD(momentum: 0.9, dampening: 0.1, nesterov: true) }
        #expect(throws: OptimizerError.self) { try SGD(weightDecay: -1) }
        #expect(throws: OptimizerError.self) { try AdamW(beta1: 1) }
    }

    @Test func clippingMatchesClipGradNorm() {
        let f = Self.fixture
        var grads = f.names.map { f.grads[0][$0]! }
        let norm = grads.withUnsafeMutableBufferPointers { clipGradientNorm($0, maxNorm: f.clip.max_norm) }
        #expect(abs(norm - f.clip.norm) <= 1e-5 * f.clip.norm)
        for (mine, theirs) in zip(grads, f.clip.grads) { #expect(close(mine, theirs)) }
    }

    func checkSchedule(_ schedule: LearningRateSchedule, _ key: String, momentum: Bool = false) {
        for (step, point) in Self.fixture.schedules[key]!.enumerated() {
            let lr = Double(schedule.learningRate(at: step))
            #expect(abs(lr - point.lr) <= 1e-6 * point.lr + 1e-12, "\(key) step \(step): \(lr) vs \(point.lr)")
            if momentum {
                let m = Double(schedule.momentum(at: step) ?? -1)
                #expect(abs(m - point.momentum) <= 1e-6, "\(key) momentum step \(step)")
            }
        }
    }

    @Test func schedulesMatchPyTorch() throws {
        checkSchedule(try LearningRateSchedule(baseRate: 0.1, shape: .multiStep(milestones: [3, 6], gamma: 0.1), totalSteps: 10), "multistep")
        checkSchedule(try LearningRateSchedule(baseRate: 0.1, shape: .cosine(minimum: 0.001), totalSteps: 10), "cosine")
        checkSchedule(try LearningRateSchedule(baseRate: 0.1, shape: .oneCycleDefaults, totalSteps: 20), "onecycle", momentum: true)
        checkSchedule(try LearningRateSchedule(baseRate: 0.1, shape: .cosine(minimum: 0), totalSteps: 12, warmupSteps: 4), "warmup_cosine")
        #expect(try LearningRateSchedule(baseRate: 0.1, shape: .constant, totalSteps: 3).momentum(at: 1) == nil)
        #expect(throws: OptimizerError.self) { try LearningRateSchedule(baseRate: 0, shape: .constant, totalSteps: 3) }
        #expect(throws: OptimizerError.self) { try LearningRateSchedule(baseRate: 0.1, shape: .oneCycleDefaults, totalSteps: 3) }
    }
}

extension Array where Element == [Float] {
    /// Runs `body` with mutable pointers to every inner array.
    mutating func withUnsafeMutableBufferPointers<R>(_ body: ([UnsafeMutableBufferPointer<Float>]) -> R) -> R {
        var pointers: [UnsafeMutableBufferPointer<Float>] = []
        for i in indices {
            let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: self[i].count)
            _ = p.initialize(from: self[i])
            pointers.append(p)
        }
        let result = body(pointers)
        for (i, p) in pointers.enumerated() { self[i] = [Float](p); p.deallocate() }
        return result
    }
}
