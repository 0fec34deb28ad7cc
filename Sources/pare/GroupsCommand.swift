import ArgumentParser
import Foundation
import PareCore
import PareDepGraph
import PareIR
import PareONNX
import ParePrune

struct GroupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "List the groups of coupled channels that structured pruning removes together.",
        discussion: """
        A group is every weight slice tied to one set of channels: a conv's
        output rows, its bias, the BatchNorm entries after it, the input
        columns of every layer that reads those channels, and — through
        residual Adds, Concats, Splits, channel shuffles and flattens —
        everything coupled to them. Pruning removes whole group channels, so
        a pruned model always stays valid.

        Groups that cannot be pruned are listed with the reason: channels that
        reach a graph input or output (the classifier's outputs are frozen
        automatically), or pass through an op Pare has no channel rule for
        (frozen, never guessed).

        Examples:
          pare groups model.onnx               one line per group
          pare groups model.onnx --explain 3   members of group 3, positions
          pare groups model.onnx --costs       MACs and parameters per channel
          pare groups model.onnx --json        {"groups":[{"id","channels",
                                               "prunable","reason","members"}]}
          pare groups model.onnx --input-shape input=1x3x224x224
        """)

    @Argument(help: "The ONNX model.") var model: String
    @Flag(help: "Print every group with its members and positions as JSON.") var json = false
    @Option(help: "Print every member of this group with its positions.") var explain: Int?
    @Flag(help: "Add the MACs and parameters one channel of each prunable group costs.") var costs = false
    @Option(name: .customLong("input-shape"), help: "Fix an input's shape for analysis (NAME=1x3x224x224); repeatable.")
    var inputShapes: [String] = []
    @Flag(help: "Analyse a model that fails checker rules anyway.") var force = false

    func run() throws {
        let loaded = try ONNXReader.read(path: model)
        try Validation.requireValid(loaded, force: force, doing: "analyse")
        let analysis: DependencyAnalysis
        do {
            analysis = try DependencyGraph.analyze(loaded.model, inputShapes: try InputShapes.parse(inputShapes))
        } catch let error as PareError { throw error.file == nil ? error.inFile(model) : error }
        let channelCosts = costs ? try GroupCost.perChannel(loaded.model, analysis: analysis) : []
        if json {
            print(try GroupsJSON.encode(analysis.groups, costs: channelCosts))
        } else if let explain {
            guard let group = analysis.groups.first(where: { $0.id == explain }) else {
                throw PareError(.usage, file: model, "there is no group \(explain)",
                                hint: "groups are numbered 0…\(analysis.groups.count - 1)")
            }
            print(GroupsText.explain(group))
        } else {
            print(GroupsText.summary(analysis.groups, file: model, costs: channelCosts))
        }
    }
}

/// `NAME=1x3x224x224` options.
enum InputShapes {
    /// `flag` names the option in the error, as each command spells it.
    static func parse(_ options: [String], flag: String = "--input-shape") throws -> [String: [Int64]] {
        var shapes: [String: [Int64]] = [:]
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1)
            let dims = parts.count == 2 ? parts[1].split(separator: "x").map { Int64($0) } : []
            guard parts.count == 2, !dims.isEmpty, dims.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw PareError(.usage, "'\(option)' is not NAME=D1xD2x… with positive dims", hint: "e.g. \(flag) input=1x3x224x224")
            }
            shapes[String(parts[0])] = dims.map { $0! }
        }
        return shapes
    }
}

/// The `pare groups --json` contract: positions expanded to plain index lists.
enum GroupsJSON {
    struct Member: Encodable { var tensor: String; var axis: Int; var role: String; var positions: [[Int]] }
    struct Group: Encodable {
        var id: Int; var channels: Int; var prunable: Bool; var reason: String?; var members: [Member]
        var cost: ChannelCost?
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(channels, forKey: .channels)
            try c.encode(prunable, forKey: .prunable); try c.encode(reason, forKey: .reason)  // null, not omitted
            try c.encode(members, forKey: .members)
            if let cost {
                try c.encode(cost.macs, forKey: .macsPerChannel)
                try c.encode(cost.parameters, forKey: .parametersPerChannel)
            }
        }
        enum CodingKeys: String, CodingKey {
            case id, channels, prunable, reason, members
            case macsPerChannel = "macs_per_channel", parametersPerChannel = "parameters_per_channel"
        }
    }
    struct Document: Encodable { var groups: [Group] }

    static func encode(_ groups: [ChannelGroup], costs: [ChannelCost] = []) throws -> String {
        let byGroup = Dictionary(uniqueKeysWithValues: costs.map { ($0.group, $0) })
        let doc = Document(groups: groups.map { g in
            Group(id: g.id, channels: g.channels, prunable: g.prunable, reason: g.reason, members: g.members.map { m in
                Member(tensor: m.tensor, axis: m.axis, role: m.role.rawValue,
                       positions: m.positions.map { $0.flatMap(\.indices) })
            }, cost: byGroup[g.id])
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]  // byte-identical across runs
        return String(decoding: try encoder.encode(doc), as: UTF8.self)
    }
}

enum GroupsText {
    static func summary(_ groups: [ChannelGroup], file: String, costs: [ChannelCost] = []) -> String {
        let byGroup = Dictionary(uniqueKeysWithValues: costs.map { ($0.group, $0) })
        let prunable = groups.filter(\.prunable)
        var lines = ["\(file): \(groups.count) groups, \(prunable.count) prunable, \(prunable.reduce(0) { $0 + $1.channels }) prunable channels"]
        for g in groups {
            // Weights, not biases: a conv with a bias is still one producer.
            let producers = g.members.filter { $0.role == .producer && $0.isScored }.map(\.tensor)
            let root = producers.first ?? g.members.first?.tensor ?? "?"
            let status = g.prunable ? "prunable" : "frozen: \(g.reason ?? "")"
            lines.append("  group \(g.id): \(g.channels) channel\(g.channels == 1 ? "" : "s"), \(g.members.count) member\(g.members.count == 1 ? "" : "s"), root \(root)"
                         + (producers.count > 1 ? " (+\(producers.count - 1) coupled producer\(producers.count == 2 ? "" : "s"))" : "") + " — \(status)"
                         + (byGroup[g.id].map { c in "; one channel: \(c.macs.map { "\($0) MACs, " } ?? "")\(c.parameters) parameters" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    static func explain(_ g: ChannelGroup) -> String {
        var lines = ["group \(g.id): \(g.channels) channels, " + (g.prunable ? "prunable" : "frozen: \(g.reason ?? "")")]
        for m in g.members {
            let perChannel = m.positions.first.map { $0.reduce(0) { $0 + $1.count } } ?? 0
            let sample = m.positions.prefix(3).map { "[" + $0.flatMap(\.indices).prefix(4).map(String.init).joined(separator: ",")
                + ($0.reduce(0) { $0 + $1.count } > 4 ? ",…" : "") + "]" }.joined(separator: " ")
            lines.append("  \(m.role.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(m.tensor) axis \(m.axis): "
                         + "\(perChannel) position(s) per channel, e.g. \(sample)")
        }
        return lines.joined(separator: "\n")
    }
}
