import PareCore
import PareIR
import PareONNX

/// Options of `pare check`, named after onnx's checker where they mirror it.
public struct CheckOptions: Sendable {
    /// Also run strict shape inference with type checking (onnx's `full_check`).
    public var fullCheck = false
    /// Turn the warnings the rules mark as strict-able into errors.
    public var strict = false
    public var skipOpsetCompatibility = false
    public var checkCustomDomains = false
    public init() {}
}

/// Every finding about one model, in rule order.
public struct CheckReport: Sendable {
    public var diagnostics: [Diagnostic]
    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    public var warningCount: Int { diagnostics.filter { $0.severity == .warning }.count }
    public var isValid: Bool { errorCount == 0 }
}

/// Validates a model: the rules of onnx's checker plus the checks Pare adds (docs/rules.md).
/// Every violation is collected; none stops the others, except where a rule's subject is missing.
public enum Checker {
    public static func check(_ loaded: LoadedModel, options: CheckOptions = CheckOptions()) -> CheckReport {
        var context = CheckContext(model: loaded.model, path: loaded.path, options: options)
        context.diagnostics.append(contentsOf: loaded.readFindings)
        for rule in CheckContext.passes { rule(&context) }
        return CheckReport(diagnostics: context.diagnostics)
    }
}

/// State shared by the rule passes while checking one model.
public struct CheckContext {
    public let model: Model
    public let path: String
    public let options: CheckOptions
    public var diagnostics: [Diagnostic] = []

    public mutating func report(_ rule: String, _ severity: Diagnostic.Severity, at location: String, _ message: String,
                                hint: String? = nil) {
        diagnostics.append(Diagnostic(rule, severity, at: location, message, hint: hint))
    }

    /// The rule passes, in the evaluation order of docs/rules.md.
    static var passes: [(inout CheckContext) -> Void] { [] }
}
