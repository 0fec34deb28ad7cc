import Foundation
import PareCheck
import PareCore
import PareIR

/// Small models built in code, and helpers to ask which rules the checker reports on them.
enum Fixture {
    static func vi(_ name: String, _ type: DType = .float, _ dims: [Int64]? = [2]) -> ValueInfo {
        ValueInfo(name: name, type: .tensor(type.rawValue, dims.map { Shape(known: $0) }))
    }

    static func floats(_ name: String, _ values: [Float]) -> Tensor {
        var t = Tensor(name: name, dataType: DType.float.rawValue, dims: [Int64(values.count)])
        t.floatData = values
        return t
    }

    /// A valid model with nothing to report at all: main(x: float[2]) → Relu → y, opset 18, IR 10.
    static func base() -> Model {
        let g = Graph(name: "main", nodes: [Node(op: "Relu", name: "relu", inputs: ["x"], outputs: ["y"])],
                      inputs: [vi("x")], outputs: [vi("y")])
        return Model(irVersion: 10, graph: g, opsetImports: [OpsetImport(domain: "", version: 18)])
    }

    /// `base()` with its single node replaced, inputs `x` and `y` declared as needed.
    static func with(_ nodes: [Node], inputs: [ValueInfo] = [vi("x")], outputs: [ValueInfo] = [vi("y")],
                     initializers: [Tensor] = [], opset: Int64 = 18) -> Model {
        var m = base()
        m.graph!.nodes = nodes
        m.graph!.inputs = inputs
        m.graph!.outputs = outputs
        m.graph!.initializers = initializers
        m.opsetImports = [OpsetImport(domain: "", version: opset)]
        return m
    }

    /// An If node whose then-branch is `then` and whose else-branch is a valid pass-through of x.
    static func ifNode(then: Graph, output: String = "y") -> Node {
        let elseBranch = Graph(name: "else", nodes: [Node(op: "Identity", inputs: ["x"], outputs: ["e"])],
                               outputs: [ValueInfo(name: "e", type: nil)])
        return Node(op: "If", inputs: ["c"], outputs: [output],
                    attributes: [.graph("then_branch", then), .graph("else_branch", elseBranch)])
    }

    static var ifInputs: [ValueInfo] { [vi("x"), vi("c", .bool, [])] }
}

extension CheckReport {
    func ids(_ severity: Diagnostic.Severity? = nil) -> Set<String> {
        Set(diagnostics.filter { severity == nil || $0.severity == severity }.map(\.rule))
    }
    func has(_ rule: String, _ severity: Diagnostic.Severity) -> Bool {
        diagnostics.contains { $0.rule == rule && $0.severity == severity }
    }
}

func check(_ m: Model, path: String = "", configure: (inout CheckOptions) -> Void = { _ in }) -> CheckReport {
    var options = CheckOptions()
    configure(&options)
    return Checker.check(m, path: path, options: options)
}

/// A fresh temporary folder, removed when the value is released.
final class ScratchDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "pare-check-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }
}
