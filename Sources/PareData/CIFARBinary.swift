import PareCore

/// CIFAR-10/100 "binary version" batches: fixed-size records of label byte(s) and 3×32×32 bytes.
/// CIFAR-100 records carry a coarse and a fine label; Pare trains on the fine one (100 classes).
enum CIFARBinary {
    static let imageBytes = 3 * 32 * 32

    static func read(paths: [String], classes: Int, source: String) throws -> ImageDataset {
        let labelBytes = classes == 100 ? 2 : 1
        let record = labelBytes + imageBytes
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for path in paths {
            let file = try MappedFile(path: path)
            let bytes = file.bytes
            guard bytes.count > 0, bytes.count % record == 0 else {
                throw PareError(.unreadable, file: path, place: "byte \(bytes.count - bytes.count % record)",
                                "file size \(bytes.count) is not a multiple of the \(record)-byte CIFAR-\(classes) record",
                                hint: "use the binary version of CIFAR-\(classes) (not the Python pickles), copied whole")
            }
            pixels.reserveCapacity(pixels.count + bytes.count / record * imageBytes)
            for r in 0..<(bytes.count / record) {
                let base = r * record
                let label = Int32(bytes[base + labelBytes - 1])
                guard label < classes else {
                    throw PareError(.invalid, file: path, place: "record \(r)", "label \(label) is out of range for \(classes) classes")
                }
                labels.append(label)
                pixels.append(contentsOf: bytes[(base + labelBytes)..<(base + record)])
            }
        }
        return ImageDataset(source: source, count: labels.count, channels: 3, height: 32, width: 32,
                            pixels: .bytes(pixels), labels: labels, classCount: classes)
    }
}
