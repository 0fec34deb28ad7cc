@testable import PareCheck
import Testing

@Suite struct SchemaTableTests {
    @Test func resolvesLargestSinceVersionNotAbove() {
        #expect(OpSchemaRegistry.schema(domain: "", op: "Relu", version: 13)?.sinceVersion == 13)
        #expect(OpSchemaRegistry.schema(domain: "", op: "Relu", version: 12)?.sinceVersion == 6)
        #expect(OpSchemaRegistry.schema(domain: "", op: "Relu", version: 100)?.sinceVersion == 14)
        #expect(OpSchemaRegistry.schema(domain: "", op: "Relu", version: 0) == nil)
        #expect(OpSchemaRegistry.schema(domain: "ai.onnx", op: "Relu", version: 18) == nil)
        #expect(OpSchemaRegistry.schema(domain: "ai.onnx.ml", op: "TreeEnsemble", version: 5) != nil)
    }

    @Test func tableCarriesWhatVerifyNeeds() throws {
        let conv = try #require(OpSchemaRegistry.schema(domain: "", op: "Conv", version: 22))
        #expect(conv.minInputs == 2 && conv.maxInputs == 3)
        #expect(conv.inputs.map(\.option) == [.single, .single, .optional])
        #expect(conv.attributes["pads"]?.type == 7 && conv.attributes["pads"]?.required == false)
        let concat = try #require(OpSchemaRegistry.schema(domain: "", op: "Concat", version: 13))
        #expect(concat.maxInputs == Int.max && concat.attributes["axis"]?.required == true)
        #expect(OpSchemaRegistry.schema(domain: "", op: "LayerNormalization", version: 17)?.allowsUncheckedAttributes == true)
        #expect(OpSchemaRegistry.schema(domain: "", op: "BatchNormalization", version: 15)?.allowedOutputCounts == [1, 3])
        #expect(OpSchemaRegistry.schema(domain: "", op: "Upsample", version: 10)?.deprecated == true)
    }

    @Test func versionFacts() {
        #expect(GeneratedONNX.irVersion == 14)
        #expect(GeneratedONNX.dataTypes[28] == "FLOAT6E3M2")
        #expect(GeneratedONNX.experimentalOps.contains("ScaledTanh"))
    }

    @Test func sha1KnownAnswers() {
        #expect(SHA1.hex(of: [UInt8]()) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hex(of: Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA1.hex(of: long) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }
}
