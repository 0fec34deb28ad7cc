import Foundation
import PareCore
import PareDepGraph

/// `--plan PLAN.json`: `{"groups":[{"member":"<name of any member tensor>","remove":[indices]}]}`,
/// indices in the group's channel numbering (`pare groups --json` positions order). A tensor in
/// several groups (a conv weight: outputs on axis 0, inputs on axis 1) names the group where it
/// is a producer; an optional `"axis"` picks another, and `"group": ID` (from `pare groups`)
/// names a group directly — needed when one weight axis feeds several groups (a Split).
public enum PlanFile {
    public static func read(path: String, analysis: DependencyAnalysis) throws -> PrunePlan {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PareError(.io, file: path, "cannot read the plan", hint: "check the path")
        }
        return try parse(data, path: path, analysis: analysis)
    }

    struct Entry: Decodable { var member: String?; var axis: Int?; var group: Int?; var remove: [Int] }
    struct Document: Decodable { var groups: [Entry] }

    public static func parse(_ data: Data, path: String, analysis: DependencyAnalysis) throws -> PrunePlan {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch let error as DecodingError {
            throw PareError(.usage, file: path, place: Self.place(of: error),
                            "not a plan: \(Self.reason(of: error))",
                            hint: "expected {\"groups\":[{\"member\":NAME,\"remove\":[integers]}]}")
        }
        var plan = PrunePlan()
        for (k, entry) in document.groups.enumerated() {
            let place = "groups[\(k)]"
            let group: ChannelGroup
            if let id = entry.group {
                guard let g = analysis.groups.first(where: { $0.id == id }) else {
                    throw PareError(.usage, file: path, place: place, "there is no group \(id)", hint: "`pare groups MODEL` lists the groups")
                }
                group = g
            } else if let member = entry.member {
                group = try resolve(member, axis: entry.axis, analysis: analysis, path: path, place: place)
            } else {
                throw PareError(.usage, file: path, place: place, "name the group with \"member\" (a tensor) or \"group\" (an id)")
            }
            if plan.removals[group.id] != nil {
                throw PareError(.usage, file: path, place: place, "group \(group.id) is named twice; list each group once")
            }
            plan.removals[group.id] = entry.remove
        }
        return plan
    }

    static func resolve(_ member: String, axis: Int?, analysis: DependencyAnalysis, path: String, place: String) throws -> ChannelGroup {
            guard let (group, _) = analysis.group(named: member, axis: axis) else {
                let candidates = analysis.groups(containing: member, axis: axis)
                if candidates.isEmpty {
                    throw PareError(.usage, file: path, place: place, "no group has a member named '\(member)'",
                                    hint: "`pare groups MODEL` lists the groups and their member tensors")
                }
                let list = candidates.map { "group \($0.group.id) (axis \($0.member.axis))" }.joined(separator: ", ")
                throw PareError(.usage, file: path, place: place, "'\(member)' is a member of several groups: \(list)",
                                hint: "add \"axis\": N to the entry, or give \"group\": ID instead")
            }
            return group
    }

    static func place(of error: DecodingError) -> String? {
        let path: [CodingKey]
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c): path = c.codingPath
        @unknown default: return nil
        }
        guard !path.isEmpty else { return nil }
        return path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    static func reason(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): return "a value has the wrong type (expected \(type))"
        case .valueNotFound(let type, _): return "a \(type) is missing"
        case .keyNotFound(let key, _): return "the key \"\(key.stringValue)\" is missing"
        case .dataCorrupted(let c): return c.debugDescription
        @unknown default: return "unreadable"
        }
    }
}
