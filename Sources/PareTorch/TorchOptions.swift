import PareCore

/// Resource caps of the pickle machine (PK-06). Every one bounds memory or time on hostile
/// input; the defaults are the spec's and sit far above what real checkpoints need.
public struct PickleLimits: Sendable, Equatable {
    public var pickleBytes = 256 << 20
    public var stackValues = 1_000_000
    public var markDepth = 10_000
    public var memoEntries = 4_000_000
    /// Values created plus values inserted into containers, over the whole run.
    public var totalValues = 16_000_000
    /// One string or byte string.
    public var stringBytes = 64 << 20
    /// Containers inside containers.
    public var nesting = 1_000
    public init() {}
}

/// How strictly a checkpoint's pickle is judged.
public struct TorchReadOptions: Sendable, Equatable {
    /// Accept exactly the opcodes PyTorch's weights-only unpickler accepts (PK-02 for the rest).
    public var strictPickle = false
    /// Unknown globals become inert values with a warning instead of an error (PK-03). The
    /// always-deny list (PK-04) applies regardless; there is no mode that executes anything.
    public var lenientPickle = false
    /// CRC-check every storage record, not only the small ones (ZIP-11).
    public var verifyStorageCRC = false
    public var limits = PickleLimits()
    /// Bytes that non-contiguous or self-overlapping views may be copied into, beyond twice the
    /// file's size (memory amplification, SEC-11).
    public var copyAllowanceBytes = 64 << 20
    public init() {}
}

/// A checkpoint as read: its weights plus what the reader noticed on the way.
public struct TorchCheckpoint: Sendable {
    /// Tensors under their flattened dotted names, and the non-tensor values.
    public var weights: WeightSet
    /// Warnings and infos (PT-03, PT-04, PT-05, PT-08, PT-13, PT-14, PK-08, ZIP-13, …).
    public var diagnostics: [Diagnostic]
    /// Tensors sharing storage bytes with an earlier tensor (PT-14): the later name, then the
    /// earlier one. Writers keep or break the sharing on purpose.
    public var aliases: [(name: String, of: String)]
    /// The archive's top-level folder.
    public var prefix: String
}

/// A failure inside the pickle machine or its helpers, before the machine adds the byte offset
/// and file name that turn it into a PareError.
struct PickleFailure: Error {
    var rule: String
    var message: String
    var hint: String?
    init(_ rule: String, _ message: String, hint: String? = nil) {
        self.rule = rule
        self.message = message
        self.hint = hint
    }
}
