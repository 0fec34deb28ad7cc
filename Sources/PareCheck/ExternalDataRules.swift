import PareCore
import PareIR
import PareONNX

/// External-data rules for every tensor of the model, wherever it sits. Path confinement, keys
/// and bounds (ONNX-T03, E02..E05, E10, E11, SEC-03) come from `ExternalDataResolver.locate`, the
/// one code path readers use too; this pass adds E01, E06..E09 and E12.
extension CheckContext {
    static let knownExternalKeys: Set<String> = ["location", "offset", "length", "checksum", "basepath"]
    static let pageSize = 4096
    /// Gaps below this are alignment padding (writers pad to at most 64 KiB), not hidden data.
    static let hiddenGapThreshold = 64 * 1024

    private struct Region {
        var range: Range<Int>
        var place: String
    }

    mutating func checkExternalData() {
        var tensors: [(Tensor, String)] = []
        model.forEachTensor { t, place in tensors.append((t, place)) }
        guard tensors.contains(where: { $0.0.isExternal || !$0.0.externalData.isEmpty }) else { return }
        let resolver = ExternalDataResolver(modelPath: path)
        var regions: [String: [Region]] = [:]
        var files: [String: MappedFile] = [:]
        var digests: [String: String] = [:]
        var unaligned: [String: [(place: String, offset: Int)]] = [:]
        for (t, place) in tensors {
            guard t.isExternal else {
                if !t.externalData.isEmpty {
                    report("ONNX-E12", .warning, at: place, "external_data entries on a tensor whose data_location is DEFAULT are ignored",
                           hint: "set data_location = EXTERNAL or drop the entries")
                }
                continue
            }
            for e in t.externalData where !Self.knownExternalKeys.contains(e.key ?? "") {
                report("ONNX-E01", .warning, at: place, "unknown external-data key '\(e.key ?? "")' is ignored",
                       hint: "known keys: location, offset, length, checksum")
            }
            let file: MappedFile, range: Range<Int>
            do {
                (file, range) = try resolver.locate(t, place: place)
            } catch let error as PareError {
                reportResolverError(error, at: place)
                continue
            } catch {
                report("ONNX-T03", .error, at: place, "\(error)", hint: "keep the data file next to the model")
                continue
            }
            files[file.path] = file
            regions[file.path, default: []].append(Region(range: range, place: place))
            if range.lowerBound % Self.pageSize != 0 { unaligned[file.path, default: []].append((place, range.lowerBound)) }
            if let expected = t.externalValue("checksum") {
                let actual = digests[file.path] ?? SHA1.hex(of: file.bytes)
                digests[file.path] = actual
                if expected.lowercased() != actual {
                    report("ONNX-E06", .error, at: place, "checksum \(expected) does not match the SHA-1 of '\(t.externalValue("location") ?? "")' (\(actual))",
                           hint: "the data file was modified or replaced; restore it or update the checksum")
                }
            }
        }
        for (filePath, list) in regions.sorted(by: { $0.key < $1.key }) {
            checkRegions(list, fileSize: files[filePath]?.count ?? 0, file: filePath)
            // E08 once per file: exporters that pack tensors back to back would otherwise
            // produce one line per weight.
            if let first = unaligned[filePath]?.first, let count = unaligned[filePath]?.count {
                report("ONNX-E08", .info, at: first.place,
                       "\(count) tensor(s) in '\(filePath)' start at offsets that are not multiples of \(Self.pageSize), e.g. \(first.offset)",
                       hint: "page-aligned offsets let readers map the data instead of copying it")
            }
        }
    }

    /// The resolver's message ends with "(rule ONNX-Exx)"; report it under that id.
    private mutating func reportResolverError(_ error: PareError, at place: String) {
        let (message, rule) = Self.splitRule(error.message)
        report(rule ?? "ONNX-T03", .error, at: place, message, hint: error.hint)
        // A location that exists as text but escapes the confinement of SEC-03 (absolute, "..",
        // symbolic link, not a regular file, several hard links, canonical path outside the
        // folder) is a security finding as well as a broken reference.
        if rule == "ONNX-T03", Self.confinementFragments.contains(where: { message.contains($0) }) {
            report("SEC-03", .error, at: place, message, hint: "external data must be a plain file inside the model's folder")
        }
    }

    /// Message fragments of `ExternalDataResolver.confinedPath` failures (tests/fixtures pin them).
    static let confinementFragments = ["is absolute", "leaves the model's folder", "symbolic link", "not a regular file",
                                       "hard links", "resolves outside", "cannot resolve"]

    /// Splits "text (rule ONNX-E04)" into the text and the rule id.
    static func splitRule(_ message: String) -> (String, String?) {
        let marker = " (rule "
        guard message.hasSuffix(")"), let start = message.indices.last(where: { message[$0...].hasPrefix(marker) }) else {
            return (message, nil)
        }
        let idStart = message.index(start, offsetBy: marker.count)
        return (String(message[..<start]), String(message[idStart..<message.index(before: message.endIndex)]))
    }

    /// E07 (overlapping regions) and E09 (unreferenced bytes) for one data file.
    private mutating func checkRegions(_ list: [Region], fileSize: Int, file: String) {
        let sorted = list.filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var covered = 0
        var previous: Region?
        var hidden: [Range<Int>] = []
        for r in sorted {
            if let p = previous, r.range.lowerBound < covered {
                report("ONNX-E07", .warning, at: r.place, "its external bytes overlap those of \(p.place)",
                       hint: "overlapping regions alias weights and amplify memory use; give each tensor its own bytes")
            }
            if r.range.lowerBound - covered >= Self.hiddenGapThreshold { hidden.append(covered..<r.range.lowerBound) }
            if r.range.upperBound > covered { covered = r.range.upperBound; previous = r }
        }
        if fileSize - covered >= Self.hiddenGapThreshold { hidden.append(covered..<fileSize) }
        if !hidden.isEmpty {
            let total = hidden.reduce(0) { $0 + $1.count }
            report("ONNX-E09", .info, at: "external data file '\(file)'",
                   "\(total) bytes in \(hidden.count) region(s) are referenced by no tensor (first at byte \(hidden[0].lowerBound))",
                   hint: "hidden data: rewrite the data file with `pare convert` to drop it")
        }
    }
}
