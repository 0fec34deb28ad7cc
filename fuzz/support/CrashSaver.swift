#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the current fuzz input where a signal handler can reach it, and writes it to disk if the
/// process dies on a trap (SIGILL/SIGTRAP), a memory fault, an abort or the per-input alarm.
/// Cheaper than writing every input to a file before running it, and only async-signal-safe calls
/// (open, write, close) run inside the handler.
public enum CrashSaver {
    /// Largest input the saver keeps; fuzzers cap their mutants to it.
    public static let capacity = 1 << 20
    nonisolated(unsafe) static var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    nonisolated(unsafe) static var length = 0
    nonisolated(unsafe) static var path: UnsafeMutablePointer<CChar>? = nil

    public static func install(path name: String) {
        path = strdup(name)
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGALRM] {
            signal(sig) { sig in
                CrashSaver.save()
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }

    /// Records `input` as the one being run and restarts the 10-second hang alarm.
    public static func arm(_ input: [UInt8]) {
        let count = min(input.count, capacity)  // never write past the buffer, whatever the caller passes
        input.withUnsafeBytes { if let base = $0.baseAddress { buffer.copyMemory(from: base, byteCount: count) } }
        length = count
        alarm(10)
    }

    public static func disarm() { alarm(0) }

    public static func save() {
        guard let path else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd >= 0 {
            _ = write(fd, buffer, length)
            close(fd)
        }
    }
}
