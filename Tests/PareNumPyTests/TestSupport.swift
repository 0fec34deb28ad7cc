import Foundation
import PareCore
import PareTestSupport

/// One valid fixture as expected.json describes it: its arrays in order, the rule ids of the
/// infos and warnings the reader reports, and the names of non-array members.
struct ExpectedFile: Decodable, Sendable {
    struct Item: Decodable, Sendable {
        var name: String
        var dtype: String
        var shape: [Int64]
        var hex: String
    }
    var arrays: [Item]
    var notes: [String]
    var others: [String]?
}

enum Repo {
    static let root = RepoFiles.root
    static let fixtures = root + "/Tests/PareNumPyTests/Fixtures"
    static let corpus = root + "/fixtures/security/npz"

    static func expected<T: Decodable>(_ path: String, as type: T.Type) -> [String: T] { RepoFiles.expected(path, as: type) }
    static func bytes(_ path: String) throws -> [UInt8] { try RepoFiles.bytes(path) }
}
