/// One operator schema of onnx's registry, as far as the checker's node rules need it.
public struct OpSchema: Sendable {
    public enum Option: Sendable { case single, optional, variadic }

    /// A formal input or output parameter.
    public struct Parameter: Sendable {
        public var name: String
        public var option: Option
        public var isHomogeneous: Bool
    }

    public struct AttributeSpec: Sendable {
        public var name: String
        /// `AttributeType` raw value.
        public var type: Int32
        public var required: Bool
    }

    public var domain: String
    public var name: String
    public var sinceVersion: Int64
    public var deprecated: Bool
    public var allowsUncheckedAttributes: Bool
    public var minInputs: Int
    /// `Int.max` when the last input is variadic.
    public var maxInputs: Int
    public var minOutputs: Int
    public var maxOutputs: Int
    public var inputs: [Parameter]
    public var outputs: [Parameter]
    public var attributes: [String: AttributeSpec]
    /// Explicit allowed counts when the schema has a count rule narrower than [min, max]
    /// (BatchNormalization: 1 or 5 outputs); nil when every count in range is allowed.
    public var allowedInputCounts: Set<Int>?
    public var allowedOutputCounts: Set<Int>?

    public func acceptsInputCount(_ n: Int) -> Bool {
        n >= minInputs && n <= maxInputs && (allowedInputCounts?.contains(n) ?? true)
    }

    public func acceptsOutputCount(_ n: Int) -> Bool {
        n >= minOutputs && n <= maxOutputs && (allowedOutputCounts?.contains(n) ?? true)
    }

    /// `Relu-14`, as onnx names a schema version in messages.
    public var label: String { "\(domain.isEmpty ? "" : domain + "::")\(name)-\(sinceVersion)" }
}

/// onnx's operator registry, parsed once from the generated table.
public enum OpSchemaRegistry {
    /// Key: domain exactly as registered ("" for the default domain; onnx never registers under
    /// "ai.onnx"), then op name; value: that op's versions in ascending since-version order.
    static let table: [String: [String: [OpSchema]]] = parse(GeneratedONNX.schemaTable)

    /// The schema onnx's checker would use: the largest since-version ≤ `version` for this
    /// exact domain string. Like onnx, a node in domain "ai.onnx" finds nothing here.
    public static func schema(domain: String, op: String, version: Int64) -> OpSchema? {
        guard let versions = table[domain]?[op] else { return nil }
        return versions.last { $0.sinceVersion <= version }
    }

    /// Whether any version of the op is registered in this domain.
    public static func knows(domain: String, op: String) -> Bool { table[domain]?[op] != nil }

    /// Whether the domain has any registered schema (the built-in domains).
    public static func hasSchemas(domain: String) -> Bool { table[domain] != nil }

    static func parse(_ text: String) -> [String: [String: [OpSchema]]] {
        var out: [String: [String: [OpSchema]]] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let f = line.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            // A malformed generated line is a build-time bug; skip it rather than trap at run time.
            guard f.count == 13, let since = Int64(f[2]), let minIn = Int(f[4]), let maxIn = Int(f[5]),
                  let minOut = Int(f[6]), let maxOut = Int(f[7]) else { continue }
            let schema = OpSchema(
                domain: f[0], name: f[1], sinceVersion: since,
                deprecated: f[3].contains("d"), allowsUncheckedAttributes: f[3].contains("u"),
                minInputs: minIn, maxInputs: maxIn < 0 ? Int.max : maxIn,
                minOutputs: minOut, maxOutputs: maxOut < 0 ? Int.max : maxOut,
                inputs: parameters(f[8]), outputs: parameters(f[9]), attributes: attributes(f[10]),
                allowedInputCounts: counts(f[11]), allowedOutputCounts: counts(f[12]))
            out[schema.domain, default: [:]][schema.name, default: []].append(schema)
        }
        for (d, ops) in out {
            for (op, versions) in ops { out[d]![op] = versions.sorted { $0.sinceVersion < $1.sinceVersion } }
        }
        return out
    }

    private static func parameters(_ s: String) -> [OpSchema.Parameter] {
        s.split(separator: ",").compactMap { item in
            let p = item.split(separator: "/", omittingEmptySubsequences: false)
            guard p.count == 3 else { return nil }
            let option: OpSchema.Option = p[1] == "v" ? .variadic : p[1] == "o" ? .optional : .single
            return OpSchema.Parameter(name: String(p[0]), option: option, isHomogeneous: p[2] == "1")
        }
    }

    private static func attributes(_ s: String) -> [String: OpSchema.AttributeSpec] {
        var out: [String: OpSchema.AttributeSpec] = [:]
        for item in s.split(separator: ",") {
            let p = item.split(separator: "/", omittingEmptySubsequences: false)
            guard p.count == 3, let type = Int32(p[1]) else { continue }
            out[String(p[0])] = OpSchema.AttributeSpec(name: String(p[0]), type: type, required: p[2] == "1")
        }
        return out
    }

    private static func counts(_ s: String) -> Set<Int>? {
        s.isEmpty ? nil : Set(s.split(separator: ",").compactMap { Int($0) })
    }
}
