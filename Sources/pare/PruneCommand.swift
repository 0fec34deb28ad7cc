import ArgumentParser
import PareCore

// Placeholder registered so that the helpers building the pruning issue can each own one command
// file; replaced by the real command before this branch merges.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "(under construction)")

    func run() throws {
        throw PareError(.usage, file: "", "pare prune is not built yet", hint: "")
    }
}
