import Testing
@testable import PareDepGraph

@Suite struct PositionRunTests {
    @Test func runsExpandToTheirPositions() {
        #expect(PositionRun(start: 3).indices == [3])
        #expect(PositionRun(start: 2, count: 4, stride: 49).indices == [2, 51, 100, 149])
        #expect(PositionRun(start: 0, count: 0).indices.isEmpty)
    }
}
