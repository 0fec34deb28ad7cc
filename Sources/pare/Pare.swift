import ArgumentParser
import Foundation
import PareCore
#if canImport(Glibc)
import Glibc
#endif

@main
struct Pare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pare",
        abstract: "Model-format conversion, validation, pruning and training for ONNX, safetensors, PyTorch checkpoints and NumPy archives.",
        discussion: """
        Examples:
          pare inspect model.onnx        opsets, inputs, ops, parameters, MACs
          pare check model.onnx --json   onnx's checker rules and Pare's own
          pare convert model.pt model.safetensors
          pare convert trained.pt --into model.onnx -o updated.onnx
          pare convert in.onnx out.onnx --external-data
          pare run model.onnx --input input=x.npy
          pare train cnn.onnx --data fashion-mnist --epochs 3 -o trained.onnx
          pare eval trained.onnx --data fashion-mnist

        Exit codes: 0 success (check: valid), 1 the input was read but is invalid, 2 unreadable
        input or usage error.
        """,
        version: PareVersion.string,
        subcommands: [CheckCommand.self, InspectCommand.self, ConvertCommand.self, GroupsCommand.self, PruneCommand.self, RunCommand.self, BenchCommand.self,
                      TrainCommand.self, EvalCommand.self,
                      VersionCommand.self])

    /// Runs the CLI with Pare's exit-code contract: errors are one line on stderr; usage errors and
    /// unreadable input exit 2 (ArgumentParser alone would use 64 for usage errors).
    static func main() {
        startOpenBLASSingleThreaded()
        // PARE_PEAK_RSS=1: print this process's peak resident memory at exit (benchmarks use it;
        // a parent cannot measure it reliably, since Linux carries a parent's peak across exec).
        if getenv("PARE_PEAK_RSS") != nil {
            atexit {
                if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                   let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) {
                    FileHandleStderr.write("pare: peak RSS \(line.dropFirst(6).trimmingCharacters(in: .whitespaces))\n")
                }
            }
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as PareError {
            // A file that was read but is not acceptable is exit 1, as `check` reports it;
            // unreadable input, I/O failures and usage errors are exit 2.
            fail(error.description, code: error.kind == .invalid ? 1 : 2)
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let exitCode = exitCode(for: error)
            if exitCode == .success || exitCode.rawValue == 0 {
                exit(withError: error)  // --help, --version
            }
            fail(fullMessage(for: error), code: 2)
        }
    }

    /// The engine splits work over its own blocking pool and calls OpenBLAS single-threaded. An
    /// OpenBLAS worker started at load time still wakes and yields in a loop, taking the second
    /// core from the pool (measured: a 3×3 conv layer 1.44 ms instead of 0.91 ms on 2 threads).
    /// OpenBLAS reads OPENBLAS_NUM_THREADS before `main` runs, so the engine's commands set it and
    /// re-execute themselves once; a value the user set is kept.
    static func startOpenBLASSingleThreaded() {
        let arguments = CommandLine.arguments
        guard arguments.count > 1, ["run", "bench", "train", "eval"].contains(arguments[1]), getenv("OPENBLAS_NUM_THREADS") == nil else { return }
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returned: it failed; run on, only slower on two threads.
    }

    static func fail(_ message: String, code: Int32) -> Never {
        let line = message.hasPrefix("pare: ") || message.hasPrefix("Error: ") ? message : "pare: " + message
        FileHandleStderr.write(line + "\n")
        Glibc.exit(code)
    }
}

enum FileHandleStderr {
    static func write(_ s: String) {
        var copy = s
        copy.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
