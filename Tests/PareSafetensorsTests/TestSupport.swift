import Foundation
import PareCore
import PareTestSupport

/// One valid fixture as expected.json describes it.
struct ExpectedFile: Decodable, Sendable {
    struct Tensor: Decodable, Sendable {
        var name: String
        var dtype: String
        var shape: [Int64]
        var hex: String
    }
    var metadata: [String: String]
    var tensors: [Tensor]
    var warnings: [String]?
}

enum Repo {
    static let root = RepoFiles.root
    static let fixtures = root + "/Tests/PareSafetensorsTests/Fixtures"
    static let corpus = root + "/fixtures/security/safetensors"

    static func expected<T: Decodable>(_ path: String, as type: T.Type) -> [String: T] { RepoFiles.expected(path, as: type) }
    static func bytes(_ path: String) throws -> [UInt8] { try RepoFiles.bytes(path) }
}
