import Foundation

/// The command line every fuzzer takes: `[--seed N] [--iterations N] [--seconds S] CORPUS_FILE...`
/// (fuzzers may accept more flags; `extra` returns them in order).
public struct FuzzCommandLine {
    public var seed: UInt64 = 1
    public var iterations: Int
    public var seconds = Double.infinity
    public var corpus: [[UInt8]] = []
    public var extra: [String] = []

    /// Parses the arguments; exits 2 with `usage` when no corpus file could be read.
    public static func parse(program: String, defaultIterations: Int, flags: Set<String> = []) -> FuzzCommandLine {
        var line = FuzzCommandLine(iterations: defaultIterations)
        var files: [String] = []
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            switch a {
            case "--seed": line.seed = UInt64(args.popFirst() ?? "") ?? 1
            case "--iterations": line.iterations = Int(args.popFirst() ?? "") ?? defaultIterations
            case "--seconds": line.seconds = Double(args.popFirst() ?? "") ?? .infinity
            case _ where flags.contains(a): line.extra.append(a)
            default: files.append(a)
            }
        }
        line.corpus = files.compactMap { try? [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
        if line.corpus.isEmpty {
            FileHandle.standardError.write(Data("usage: \(program) [--seed N] [--iterations N] [--seconds S] CORPUS_FILE...\n".utf8))
            exit(2)
        }
        return line
    }
}
