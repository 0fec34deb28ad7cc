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
    /// Report an IR version newer than onnx's as a warning instead of an error (ONNX-M02).
    public var allowNewerIR = false
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
        check(loaded.model, path: loaded.path, readFindings: loaded.readFindings, options: options)
    }

    /// Checks an in-memory model; `path` locates external data files (their folder is the model's).
    public static func check(_ model: Model, path: String = "", readFindings: [Diagnostic] = [],
                             options: CheckOptions = CheckOptions()) -> CheckReport {
        var context = CheckContext(model: model, path: path, options: options)
        context.diagnostics.append(contentsOf: readFindings)
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

    /// The model's IR version as the rules read it (0 when unset, like protobuf's default).
    var irVersion: Int64 { model.irVersion ?? 0 }
    /// The model's opset map as onnx builds it: raw domain strings (no "ai.onnx" folding), later
    /// entries overwrite earlier ones; an IR < 3 model with no imports gets the default domain at 1.
    var modelOpsets: [String: Int64] = [:]
    /// (domain, op) pairs already reported as not schema-checked (ONNX-X15 is once per pair).
    var reportedUncheckedOps: Set<String> = []

    public init(model: Model, path: String, options: CheckOptions) {
        self.model = model
        self.path = path
        self.options = options
    }

    public mutating func report(_ rule: String, _ severity: Diagnostic.Severity, at location: String, _ message: String,
                                hint: String? = nil) {
        diagnostics.append(Diagnostic(rule, severity, at: location, message, hint: hint))
    }

    /// Severity of the rules that `--strict` promotes from warning to error (X08, X17).
    var strictable: Diagnostic.Severity { options.strict ? .error : .warning }

    /// The rule passes, in the evaluation order of docs/rules.md.
    static var passes: [(inout CheckContext) -> Void] {
        [
            { $0.checkModelRules() },          // ONNX-M01..M05, X17, X21, X22
            { $0.checkMainGraph() },           // G*, N*, A*, V*, T*, S*, X05, X08-X10, X12-X15, X24
            { $0.checkFunctions() },           // ONNX-F01..F11 (IR ≥ 8)
            { $0.checkTrainingBindings() },    // ONNX-X16
            { $0.checkExternalData() },        // ONNX-E01..E12, T03, SEC-03 through ExternalDataResolver
            { $0.checkUsage() },               // ONNX-X02, X03, X04, X06, X07, X11
            { $0.checkMetadataAndUnknownFields() }, // ONNX-X20, X23
            { $0.checkInferredShapes() },     // ONNX-X01, SHAPE-01..06
        ]
    }
}
