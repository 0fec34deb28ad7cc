internal import CZip
import PareCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ZIP archive read through libzip from bytes already in memory (a mapped file), with the
/// container rules of formats.md §5.2 applied before any member is inflated.
///
/// libzip, opened with ZIP_CHECKCONS, finds the end-of-central-directory record (Zip64 too),
/// checks every local header against its central-directory copy (ZIP-04, ZIP-05) and refuses
/// duplicate names (ZIP-10). This type adds the per-entry rules libzip leaves to its caller.
final class ZipReader {
    struct Entry {
        var index: UInt64
        var name: String
        var size: UInt64
        var compressedSize: UInt64
        var method: UInt16
    }

    /// Limits against decompression bombs (ZIP-12), all configurable.
    struct Limits: Sendable {
        var maxEntryBytes: UInt64 = 64 << 30
        var maxRatio: UInt64 = 1000
        var maxTotalBytes: UInt64 = 64 << 30
    }

    let path: String
    let entries: [Entry]
    private let archive: OpaquePointer

    init(_ bytes: UnsafeRawBufferPointer, path: String, limits: Limits) throws {
        self.path = path
        func fail(_ rule: String, _ message: String, place: String? = nil, hint: String? = nil) -> PareError {
            PareError(.unreadable, file: path, place: place, "\(message) (rule \(rule))", hint: hint)
        }
        // The smallest archive is a bare 22-byte end-of-central-directory record.
        guard bytes.count >= 22 else {
            throw fail("ZIP-01", "\(bytes.count) bytes cannot hold a ZIP archive", hint: "the file is truncated")
        }
        var error = zip_error_t()
        zip_error_init(&error)
        defer { zip_error_fini(&error) }
        guard let source = zip_source_buffer_create(bytes.baseAddress, UInt64(bytes.count), 0, &error) else {
            throw PareError(.io, file: path, "libzip could not wrap the file: \(String(cString: zip_error_strerror(&error)))")
        }
        guard let archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error) else {
            zip_source_free(source)
            let code = zip_error_code_zip(&error)
            let text = String(cString: zip_error_strerror(&error))
            switch code {
            case ZIP_ER_NOZIP:
                throw fail("ZIP-01", "no valid end-of-central-directory record in the \(bytes.count)-byte file (libzip: \(text))",
                           hint: "the file is truncated or not a ZIP archive")
            case ZIP_ER_EXISTS: throw fail("ZIP-10", "two entries have the same name")
            case ZIP_ER_MULTIDISK: throw fail("ZIP-03", "multi-disk archives are not supported")
            case ZIP_ER_INCONS:
                throw fail("ZIP-05", "the central directory and the local headers disagree (libzip: \(text))",
                           hint: "two ZIP readers could see different content; recreate the archive")
            default: throw fail("ZIP-03", "the central directory is unreadable (libzip: \(text))")
            }
        }
        self.archive = archive
        var entries: [Entry] = []
        do {
            let count = zip_get_num_entries(archive, 0)
            var names = Set<String>()
            var total: UInt64 = 0, footprint: UInt64 = 0
            for i in 0..<UInt64(max(count, 0)) {
                var st = zip_stat_t()
                zip_stat_init(&st)
                guard zip_stat_index(archive, i, ZIP_FL_ENC_RAW, &st) == 0, let raw = zip_get_name(archive, i, ZIP_FL_ENC_RAW) else {
                    throw fail("ZIP-03", "entry \(i) is unreadable")
                }
                let rawName = Array(UnsafeRawBufferPointer(start: raw, count: strlen(raw)))
                let name = try Self.checkedName(rawName, index: i, fail: fail)
                let place = "entry \"\(name)\""
                guard names.insert(name).inserted else { throw fail("ZIP-10", "two entries have this name", place: place) }
                guard st.encryption_method == 0 else { throw fail("ZIP-08", "the entry is encrypted", place: place) }
                guard st.comp_method == 0 || st.comp_method == 8 else {
                    throw fail("ZIP-07", "compression method \(st.comp_method) is not supported (only stored and deflate)", place: place)
                }
                if st.comp_method == 0 && st.comp_size != st.size {
                    throw fail("ZIP-07", "a stored entry declares \(st.comp_size) compressed but \(st.size) uncompressed bytes", place: place)
                }
                // Bombs: the declared size is bounded absolutely and relative to the compressed
                // size; inflation is later held to the declared size (NpzReader).
                guard st.size <= limits.maxEntryBytes else {
                    throw fail("ZIP-12", "the entry declares \(st.size) uncompressed bytes, above the cap of \(limits.maxEntryBytes)", place: place)
                }
                let (ratioCap, o) = max(st.comp_size, 1).multipliedReportingOverflow(by: limits.maxRatio)
                guard o || st.size <= ratioCap else {
                    throw fail("ZIP-12", "the entry declares \(st.size) bytes from \(st.comp_size) compressed, a ratio above \(limits.maxRatio):1 (a zip bomb?)", place: place)
                }
                total = total &+ st.size  // each term ≤ 64 GiB: no overflow before the check below trips
                guard total <= limits.maxTotalBytes else {
                    throw fail("ZIP-12", "the entries declare more than \(limits.maxTotalBytes) uncompressed bytes in total", place: place)
                }
                // Entries that do not overlap fit in the file side by side; when their data plus
                // local headers add up to more than the file, some share bytes (ZIP-06: the trick
                // of non-recursive zip bombs). libzip does not expose local header offsets, so
                // this is the overlap test that remains possible through it.
                footprint = footprint &+ st.comp_size &+ 30 &+ UInt64(rawName.count)
                guard footprint <= UInt64(bytes.count) else {
                    throw fail("ZIP-06", "the entries' data add up to more than the file holds: entries overlap", place: place)
                }
                entries.append(Entry(index: i, name: name, size: st.size, compressedSize: st.comp_size, method: st.comp_method))
            }
        } catch {
            zip_discard(archive)
            throw error
        }
        self.entries = entries
    }

    deinit { zip_discard(archive) }

    /// ZIP-09: names must be unambiguous wherever they end up — valid UTF-8, relative, no `..`
    /// component, no backslash. (libzip turns a NUL inside a name into a space, so a NUL can no
    /// longer truncate the name for one reader and not another.)
    private static func checkedName(_ raw: [UInt8], index: UInt64,
                                    fail: (String, String, String?, String?) -> PareError) throws -> String {
        let name = String(decoding: raw, as: UTF8.self)
        let place = "entry \(index)"
        guard Array(name.utf8) == raw else { throw fail("ZIP-09", "the entry name is not valid UTF-8", place, nil) }
        guard !name.isEmpty else { throw fail("ZIP-09", "an entry has an empty name", place, nil) }
        guard !name.hasPrefix("/"), !name.contains("\\") else {
            throw fail("ZIP-09", "entry name \"\(name)\" is absolute or contains a backslash", place, nil)
        }
        guard !name.split(separator: "/", omittingEmptySubsequences: false).contains("..") else {
            throw fail("ZIP-09", "entry name \"\(name)\" has a '..' component", place, nil)
        }
        return name
    }

    /// Opens an entry for reading. libzip inflates deflated entries and checks the CRC-32 (ZIP-11)
    /// when the end of the data is read.
    func open(_ entry: Entry) throws -> ZipEntryStream {
        guard let file = zip_fopen_index(archive, entry.index, 0) else {
            let text = String(cString: zip_error_strerror(zip_get_error(archive)))
            throw PareError(.unreadable, file: path, place: "entry \"\(entry.name)\"", "cannot open the entry: \(text) (rule ZIP-04)")
        }
        return ZipEntryStream(file: file, reader: self, entry: entry)
    }
}

/// The data of one entry, read sequentially. Keeps its archive alive.
final class ZipEntryStream {
    private let file: OpaquePointer
    private let reader: ZipReader
    let entry: ZipReader.Entry

    fileprivate init(file: OpaquePointer, reader: ZipReader, entry: ZipReader.Entry) {
        self.file = file
        self.reader = reader
        self.entry = entry
    }

    deinit { zip_fclose(file) }

    /// Fills `buffer` as far as the entry's data reaches; returns the bytes read (less than the
    /// buffer only at the end of the data).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = zip_fread(file, buffer.baseAddress! + done, UInt64(buffer.count - done))
            if n < 0 {
                let error = zip_file_get_error(file)
                let code = zip_error_code_zip(error)
                let text = String(cString: zip_error_strerror(error))
                let rule = code == ZIP_ER_CRC ? "ZIP-11" : code == ZIP_ER_INCONS ? "ZIP-12" : "ZIP-04"
                throw PareError(.unreadable, file: reader.path, place: "entry \"\(entry.name)\"",
                                "the entry data is damaged: \(text) (rule \(rule))")
            }
            if n == 0 { break }
            done += Int(n)
        }
        return done
    }

    func read(count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let n = try out.withUnsafeMutableBytes { try read(into: $0) }
        return Array(out.prefix(n))
    }
}
