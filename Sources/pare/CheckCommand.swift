import ArgumentParser
import Foundation
import PareCheck
import PareCore
import PareONNX

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a model: onnx's checker rules plus the checks Pare adds.",
        discussion: """
        Reports every violation, not just the first, each with a stable rule id (see docs/rules.md),
        where it is and how to fix it.

        Exit codes: 0 valid (warnings allowed), 1 errors found, 2 unreadable input or usage error.
        """)

    @Argument(help: "The model to check (.onnx).") var model: String
    @Flag(help: "Print a machine-readable report.") var json = false
    @Flag(help: "Also run strict shape inference with type checking, like onnx's full_check.") var fullCheck = false
    @Flag(help: "Treat strict-able warnings (negative dims, IR version too low) as errors.") var strict = false
    @Flag(help: "Skip the opset-compatibility check of model-local functions.") var skipOpsetCompat = false
    @Flag(help: "Also require schemas for operators of custom domains.") var checkCustomDomains = false
    @Flag(name: .shortAndLong, help: "Only print errors (and the summary).") var quiet = false

    func run() throws {
        let loaded: LoadedModel
        do {
            loaded = try ONNXReader.read(path: model)
        } catch let e as PareError {
            if json { printJSON(valid: false, diagnostics: [], error: e.description) }
            throw e
        }
        var options = CheckOptions()
        options.fullCheck = fullCheck
        options.strict = strict
        options.skipOpsetCompatibility = skipOpsetCompat
        options.checkCustomDomains = checkCustomDomains
        let report = Checker.check(loaded, options: options)
        if json {
            printJSON(valid: report.isValid, diagnostics: report.diagnostics, error: nil)
        } else {
            for d in report.diagnostics where !quiet || d.severity == .error { print(d.line) }
            let verdict = report.isValid ? "valid" : "invalid"
            print("\(model): \(verdict) (\(report.errorCount) errors, \(report.warningCount) warnings)")
        }
        if !report.isValid { throw ExitCode(1) }
    }

    func printJSON(valid: Bool, diagnostics: [Diagnostic], error: String?) {
        struct Out: Encodable {
            var file: String
            var valid: Bool
            var error: String?
            var diagnostics: [Diagnostic]
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? enc.encode(Out(file: model, valid: valid, error: error, diagnostics: diagnostics)) {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
