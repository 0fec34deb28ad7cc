import ArgumentParser
import PareFormats
import PareKernels

enum PareVersion {
    static let string = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print Pare's version and the system libraries it was linked with.")

    func run() throws {
        print("pare \(PareVersion.string)")
        print("libzip \(FormatDetector.zipLibraryVersion)")
        print("OpenBLAS \(Gemm.backendDescription)")
    }
}
