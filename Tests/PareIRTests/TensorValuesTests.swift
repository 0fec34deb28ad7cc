import PareCore
import Testing
@testable import PareIR

@Suite struct TensorValuesTests {
    @Test func rawAndTypedFields() {
        #expect(G.ints("a", [1, -2, 3]).int64Values() == [1, -2, 3])
        var typed = Tensor(name: "t", dataType: DType.int64.rawValue, dims: [2])
        typed.int64Data = [7, 8]
        #expect(typed.int64Values() == [7, 8])
        var i32 = Tensor(name: "t", dataType: DType.int32.rawValue, dims: [2])
        i32.int32Data = [-1, 5]
        #expect(i32.int64Values() == [-1, 5])
        let raw32 = Tensor(name: "r", type: .int32, dims: [2], raw: TensorData(copying: [0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0]))
        #expect(raw32.int64Values() == [-1, 2])
        let f = Tensor(name: "f", type: .float, dims: [1], raw: TensorData(copying: [0, 0, 0xC0, 0x3F]))
        #expect(f.doubleValues() == [1.5])
        #expect(f.int64Values() == nil)
    }

    @Test func refusesLargeExternalOrMismatched() {
        #expect(G.ints("a", Array(repeating: 1, count: 2000)).int64Values() == nil)
        var ext = G.ints("a", [1])
        ext.dataLocation = 1
        #expect(ext.int64Values() == nil)
        let short = Tensor(name: "s", type: .int64, dims: [2], raw: TensorData(copying: [1, 0, 0, 0, 0, 0, 0, 0]))
        #expect(short.int64Values() == nil)
    }
}
