internal import CPareSys

/// Temporary files of writes in progress, removed if Ctrl-C (SIGINT), SIGTERM, SIGHUP or SIGPIPE
/// ends the process: an interrupted write of a large model otherwise leaves a hidden `.NAME.pare-XXXXXX`
/// file of hundreds of megabytes beside the destination. The destination itself is untouched
/// either way (writes are atomic).
public enum InterruptCleanup {
    /// Creates a file from `template` (ending in XXXXXX) as mkstemp does, tracked from before it
    /// exists until `forget(slot)`. Returns the descriptor (-1 with errno set), the path and the slot.
    public static func makeTemporary(_ template: String) -> (fd: Int32, path: String, slot: Int32) {
        var out = [CChar](repeating: 0, count: template.utf8.count + 1)
        var slot: Int32 = -1
        let fd = pare_make_temporary(template, &out, out.count, &slot)
        return (fd, String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), slot)
    }

    public static func forget(_ slot: Int32) { pare_forget_temporary(slot) }
}
