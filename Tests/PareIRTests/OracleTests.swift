import Foundation
import PareCore
import PareIR
import PareONNX
import Testing

/// Compares Pare's shape inference with onnx's (`infer_shapes(data_prop=True)`) on exported
/// models. tests/oracles/shape_oracle.py writes `<name>.onnx` and `<name>.shapes.json` into the
/// folder named by PARE_SHAPE_ORACLE_DIR; without it (a quick local
/// `swift test`) the test does nothing; scripts/test.sh always sets it.
@Suite struct OracleTests {
    struct Tally: CustomStringConvertible {
        var compared = 0, agree = 0, conflicts = 0, oursMoreSpecific = 0, onnxMoreSpecific = 0
        var onnxOnly = 0, oursOnly = 0
        var examples: [String] = []
        var description: String {
            "compared \(compared): agree \(agree), conflicts \(conflicts), Pare more specific \(oursMoreSpecific), "
                + "onnx more specific \(onnxMoreSpecific); shape only from onnx \(onnxOnly), only from Pare \(oursOnly)"
        }
    }

    static var folder: String? { ProcessInfo.processInfo.environment["PARE_SHAPE_ORACLE_DIR"] }

    @Test(arguments: ["resnet18", "mobilenet_v2", "transformer_encoder"])
    func agreesWithOnnx(name: String) throws {
        guard let folder = Self.folder else { return }
        let modelPath = "\(folder)/\(name).onnx", jsonPath = "\(folder)/\(name).shapes.json"
        // The test command always sets the folder; once it is set, missing oracle files are a failure.
        let data = try #require(FileManager.default.contents(atPath: jsonPath), "oracle output missing: \(jsonPath)")
        #expect(FileManager.default.fileExists(atPath: modelPath))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let expected = try #require(json["values"] as? [String: [String: Any]])
        let model = try ONNXReader.read(path: modelPath).model
        let result = ShapeInference.infer(model: model)
        let tally = Self.compare(expected: expected, result: result)
        print("shape oracle \(name): \(tally)")
        for e in tally.examples.prefix(10) { print("  \(e)") }
        #expect(tally.conflicts == 0, "\(tally.examples.prefix(5))")
        #expect(tally.onnxOnly == 0, "\(tally.examples.prefix(5))")
        #expect(result.findings.filter { $0.severity != .info }.isEmpty, "\(result.findings.prefix(3).map(\.line))")
    }

    static func compare(expected: [String: [String: Any]], result: InferenceResult) -> Tally {
        var t = Tally()
        for (name, entry) in expected.sorted(by: { $0.key < $1.key }) {
            guard let dims = entry["shape"] as? [Any] else { continue }
            guard let ours = result.shape(name) else {
                t.onnxOnly += 1
                t.examples.append("\(name): onnx \(dims), Pare none")
                continue
            }
            t.compared += 1
            if let elem = entry["elem"] as? Int, let e = result.types[name]?.tensorInfo?.elemType, Int(e) != elem {
                t.conflicts += 1
                t.examples.append("\(name): element type onnx \(elem), Pare \(e)")
                continue
            }
            guard ours.rank == dims.count else {
                t.conflicts += 1
                t.examples.append("\(name): onnx \(dims), Pare \(ours.dims.map(\.value))")
                continue
            }
            var more = false, less = false, conflict = false
            for (d, o) in zip(dims, ours.dims) {
                switch (d as? Int, o.knownValue) {
                case let (x?, y?): if Int64(x) != y { conflict = true }
                case (_?, nil): less = true
                case (nil, _?): more = true
                default: break
                }
            }
            if conflict {
                t.conflicts += 1
                t.examples.append("\(name): onnx \(dims), Pare \(ours.dims.map(\.value))")
            } else if less {
                t.onnxMoreSpecific += 1
                t.examples.append("\(name): onnx \(dims) more specific than Pare \(ours.dims.map(\.value))")
            } else if more {
                t.oursMoreSpecific += 1
                t.examples.append("\(name): Pare \(ours.dims.map(\.value)) more specific than onnx \(dims)")
            } else {
                t.agree += 1
            }
        }
        t.oursOnly = result.types.keys.filter { name in
            result.shape(name) != nil && (expected[name].map { $0["shape"] as? [Any] == nil } ?? true)
        }.count
        return t
    }
}
