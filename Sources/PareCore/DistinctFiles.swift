#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Refuses a command line on which one of the files a command writes is another file of the same
/// command: `--report` naming the model being pruned, a metrics log on top of the trained model, a
/// `pare run` output named like one of its inputs. Each of these used to succeed quietly while
/// replacing a file the user still needed, so they are checked before any work starts.
public enum DistinctFiles {
    /// One file a command reads or writes, with the flag or role that named it (for the message).
    public struct Role: Sendable {
        public var label: String
        public var path: String
        public init(_ label: String, _ path: String) { self.label = label; self.path = path }
    }

    /// Throws a usage error naming both roles when an output is the same file as an input or as
    /// an earlier output. `inPlace` lists the (output label, input label) pairs a command allows to
    /// coincide, such as `-o` replacing the model it was made from. `hint` replaces the default
    /// advice to name a different file.
    public static func check(outputs: [Role], inputs: [Role], inPlace: Set<String> = [], hint: String? = nil) throws {
        var seen: [(role: Role, identity: String)] = []
        for input in inputs { seen.append((input, identity(of: input.path))) }
        // A device or pipe is written through, never replaced: two outputs may share /dev/null.
        for output in outputs where (try? AtomicFileWriter.kind(of: output.path)) != .stream {
            let id = identity(of: output.path)
            if let clash = seen.first(where: { $0.identity == id && !inPlace.contains(pairKey(output.label, $0.role.label)) }) {
                let what = clash.role.label == output.label ? "is named twice" : "is also \(clash.role.label)"
                throw PareError(.usage, file: output.path, place: output.label,
                                "\(what); writing it would replace that file", hint: hint ?? "name a different file for \(output.label)")
            }
            seen.append((output, id))
        }
    }

    /// The key `inPlace` uses for an allowed (output, input) pair.
    public static func pairKey(_ output: String, _ input: String) -> String { output + "\u{0}" + input }

    /// The same string for two paths that name one file: device and inode when the file exists
    /// (hard links, symbolic links, `./a` and `a`), else the resolved folder and the name.
    static func identity(of path: String) -> String {
        var info = stat()
        if stat(path, &info) == 0 { return "inode \(info.st_dev) \(info.st_ino)" }
        let folder = AtomicFileWriter.folder(of: path), name = AtomicFileWriter.baseName(of: path)
        guard let resolved = realpath(folder, nil) else { return "path \(path)" }
        defer { free(resolved) }
        return "path \(String(cString: resolved))/\(name)"
    }
}
