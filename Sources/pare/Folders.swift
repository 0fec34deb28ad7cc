import Foundation
import PareCore

/// Output folders the commands create (checkpoints, traces, `run`'s outputs).
enum Folders {
    /// Creates `path` and any missing parents. Foundation's own error here is a generic Cocoa
    /// code, so the failure names the part of the path that is in the way instead.
    static func make(_ path: String, purpose: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw PareError(.usage, file: path, "cannot be the \(purpose): it is a file") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            var ancestor = AtomicFileWriter.folder(of: path)
            while !FileManager.default.fileExists(atPath: ancestor, isDirectory: &isFolder) && ancestor != "/" && ancestor != "." {
                ancestor = AtomicFileWriter.folder(of: ancestor)
            }
            let reason = !isFolder.boolValue ? "\(ancestor) is a file, not a folder"
                : !FileManager.default.isWritableFile(atPath: ancestor) ? "\(ancestor) is not writable" : error.localizedDescription
            throw PareError(.io, file: path, "cannot create the \(purpose): \(reason)")
        }
    }
}
