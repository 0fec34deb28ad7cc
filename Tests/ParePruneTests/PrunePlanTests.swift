import Testing
@testable import ParePrune

@Suite struct PrunePlanTests {
    @Test func emptinessCountsChannelsNotGroups() {
        #expect(PrunePlan().isEmpty)
        #expect(PrunePlan(removals: [0: [], 3: []]).isEmpty)
        #expect(!PrunePlan(removals: [0: [], 3: [1]]).isEmpty)
    }
}
