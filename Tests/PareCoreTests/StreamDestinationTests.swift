import Foundation
import Testing
@testable import PareCore
import PareTestSupport

/// Writing over a pipe or a device (`-o /dev/null`) used to rename a regular file over it.
@Suite struct StreamDestinationTests {
    func withFIFO(_ body: (_ fifo: String, _ folder: TempDir) throws -> Void) throws {
        let dir = TempDir(prefix: "pare-stream-")
        try #require(mkfifo(dir.file("pipe"), 0o600) == 0)
        try body(dir.file("pipe"), dir)
    }

    func isFIFO(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO
    }

    @Test func devicesAndPipesAreWrittenThroughAndStayWhatTheyWere() throws {
        #expect(try AtomicFileWriter.kind(of: "/dev/null") == .stream)
        #expect(try AtomicFileWriter.kind(of: "/nonexistent-folder/out.onnx") == .file)
        try AtomicFileWriter.checkDestination("/dev/null")
        try withFIFO { fifo, folder in
            // A reader first, as a consumer of the pipe would be (non-blocking, so the test cannot hang).
            let reader = open(fifo, O_RDONLY | O_NONBLOCK)
            try #require(reader >= 0)
            defer { close(reader) }
            let w = try AtomicFileWriter(destination: fifo)
            try w.write([1, 2, 3, 4, 5])
            try w.commit()
            var got = [UInt8](repeating: 0, count: 16)
            let n = got.withUnsafeMutableBytes { read(reader, $0.baseAddress!, $0.count) }
            #expect(Array(got.prefix(max(n, 0))) == [1, 2, 3, 4, 5])
            #expect(isFIFO(fifo), "the pipe must still be a pipe, not a file renamed over it")
            #expect(folder.contents == ["pipe"], "no temporary file is left beside it")
        }
    }

    @Test func aPipeNobodyReadsIsRefusedInsteadOfBlocking() throws {
        try withFIFO { fifo, _ in
            do {
                _ = try AtomicFileWriter(destination: fifo)
                Issue.record("opening a pipe without a reader must fail")
            } catch let e as PareError {
                #expect(e.kind == .io)
                #expect(e.message.contains("no process is reading"))
            }
            #expect(isFIFO(fifo))
        }
    }
}
