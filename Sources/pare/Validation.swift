import PareCheck
import PareCore
import PareONNX

/// The checker's verdict used by commands other than `check`: a model with error-level findings
/// is not silently converted (the output would inherit the defect), and `inspect` says so.
enum Validation {
    /// The first errors of a model as one line, or nil when it is valid.
    static func errorSummary(_ loaded: LoadedModel) -> (count: Int, line: String)? {
        let report = Checker.check(loaded)
        let errors = report.diagnostics.filter { $0.severity == .error }
        guard let first = errors.first else { return nil }
        return (errors.count, "\(first.rule) at \(first.location): \(first.message)")
    }

    /// Throws a one-line error (exit 1) when the model is invalid, unless forced.
    static func requireValid(_ loaded: LoadedModel, force: Bool, doing action: String = "convert") throws {
        guard let (count, first) = errorSummary(loaded) else { return }
        if force {
            FileHandleStderr.write("pare: warning: \(loaded.path) has \(count) checker error(s), going on (--force); first: \(first)\n")
            return
        }
        throw PareError(.invalid, file: loaded.path, "the model is invalid (\(count) error(s); first: \(first))",
                        hint: "run `pare check` for all of them, or pass --force to \(action) it as it is")
    }
}
