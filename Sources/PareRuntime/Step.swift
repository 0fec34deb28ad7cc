import PareEngine
import PareIR

/// One node as the executor runs it: value slots instead of names, the operator resolved once,
/// an optional fused activation, and the slots whose last reader this step is.
struct Step {
    var node: Node
    var label: String
    var run: OperatorTable.Run
    var inputs: [Int?]
    var outputs: [Int]
    var activation: FusedActivation?
    var releaseAfter: [Int] = []
}
