import Foundation
import PareCore
import PareNumPy
import PareTestSupport
import Testing
@testable import PareData

@Suite struct DataSourceTests {
    /// An IDX file: magic, big-endian extents, values.
    func idxBytes(dims: [Int], values: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dims.count)]
        for d in dims { bytes += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return bytes + values
    }

    func write(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

    @Test func idxParsesExtentsAndValues() throws {
        let file = try IDXFile.parse(idxBytes(dims: [2, 1, 3], values: [1, 2, 3, 4, 5, 6]), path: "x")
        #expect(file.dims == [2, 1, 3])
        #expect(file.values == [1, 2, 3, 4, 5, 6])
    }

    @Test func idxRejectsBadHeadersAndLengths() {
        #expect(throws: PareError.self) { try IDXFile.parse([1, 0, 8, 1, 0, 0, 0, 1, 7], path: "x") }
        #expect(throws: PareError.self) { try IDXFile.parse([0, 0, 0x0d, 1, 0, 0, 0, 1, 7], path: "x") }  // float IDX
        #expect(throws: PareError.self) { try IDXFile.parse(idxBytes(dims: [2, 2], values: [1, 2, 3]), path: "x") }
        #expect(throws: PareError.self) { try IDXFile.parse(idxBytes(dims: [65536, 65536, 2], values: []), path: "x") }
        #expect(throws: PareError.self) { try IDXFile.parse([0, 0, 8], path: "x") }
    }

    @Test func fashionMNISTLoadsFromTheDebianPackage() throws {
        let (train, test) = try DatasetSpec(parsing: "fashion-mnist").load()
        #expect(train.count == 60000 && train.height == 28 && train.width == 28 && train.channels == 1)
        #expect(test?.count == 10000)
        #expect(Array(train.labels.prefix(5)) == [9, 0, 0, 3, 0])
        #expect(Array(test!.labels.prefix(5)) == [9, 2, 1, 1, 6])
        var perClass = [Int](repeating: 0, count: 10)
        for label in train.labels { perClass[Int(label)] += 1 }
        #expect(perClass == [Int](repeating: 6000, count: 10))
        guard case .bytes(let pixels) = train.pixels else { Issue.record("bytes expected"); return }
        #expect(pixels.prefix(784).reduce(0) { $0 + Int($1) } == 76247)  // numpy's sum of the first image
        #expect(train.normalization == Normalization(mean: [0.2860], std: [0.3530]))
    }

    @Test func truncatedGzipIsAClearError() throws {
        let dir = TempDir()
        let whole = try RepoFiles.bytes(DatasetSpec.fashionMNISTDirectory + "/t10k-labels-idx1-ubyte.gz")
        for name in ["train", "t10k"] {
            try write(Array(whole.prefix(whole.count / 2)), dir.file("\(name)-labels-idx1-ubyte.gz"))
            try write(idxBytes(dims: [1, 1, 1], values: [0]), dir.file("\(name)-images-idx3-ubyte"))
        }
        let error = #expect(throws: PareError.self) { try DatasetSpec(parsing: "fashion-mnist:\(dir.path)").load() }
        #expect(error?.description.contains("truncated") == true)
        #expect(error?.file?.hasSuffix("labels-idx1-ubyte.gz") == true)
    }

    @Test func missingFilesNameThePathAndTheFix() {
        let error = #expect(throws: PareError.self) { try DatasetSpec(parsing: "mnist:/nonexistent/dir").load() }
        #expect(error?.file == "/nonexistent/dir/train-images-idx3-ubyte[.gz]")
        #expect(error?.hint?.contains("IDX") == true)
        #expect(throws: PareError.self) { try DatasetSpec(parsing: "imagenet") }
        #expect(throws: PareError.self) { try DatasetSpec(parsing: "npz") }
    }

    @Test func plainIDXLabelsMustMatchImages() throws {
        let dir = TempDir()
        for name in ["train", "t10k"] {
            try write(idxBytes(dims: [2, 2, 2], values: [0, 255, 0, 255, 1, 2, 3, 4]), dir.file("\(name)-images-idx3-ubyte"))
            try write(idxBytes(dims: [3], values: [1, 2, 3]), dir.file("\(name)-labels-idx1-ubyte"))
        }
        #expect(throws: PareError.self) { try DatasetSpec(parsing: "mnist:\(dir.path)").load() }
        for name in ["train", "t10k"] { try write(idxBytes(dims: [2], values: [1, 7]), dir.file("\(name)-labels-idx1-ubyte")) }
        let (train, _) = try DatasetSpec(parsing: "mnist:\(dir.path)").load(normalization: Normalization(mean: [0], std: [1]))
        var image = [Float](repeating: -1, count: 4)
        train.writeImage(0, to: &image)
        #expect(image == [0, 1, 0, 1])
        #expect(train.labels == [1, 7])
    }

    @Test func cifarRecordsCarryLabelsAndPlanes() throws {
        let dir = TempDir()
        var record10 = [UInt8](repeating: 0, count: 1 + 3072)
        record10[0] = 7; record10[1] = 200; record10[1 + 1024] = 100
        try write(record10 + record10, dir.file("one.bin"))
        let ten = try CIFARBinary.read(paths: [dir.file("one.bin")], classes: 10, source: "t")
        #expect(ten.count == 2 && ten.labels == [7, 7] && ten.channels == 3)
        guard case .bytes(let p) = ten.pixels else { Issue.record("bytes expected"); return }
        #expect(p[0] == 200 && p[1024] == 100)
        var record100 = [UInt8](repeating: 0, count: 2 + 3072)
        record100[0] = 3; record100[1] = 99
        try write(record100, dir.file("hundred.bin"))
        #expect(try CIFARBinary.read(paths: [dir.file("hundred.bin")], classes: 100, source: "t").labels == [99])
        try write(Array(record10.dropLast()), dir.file("short.bin"))
        #expect(throws: PareError.self) { try CIFARBinary.read(paths: [dir.file("short.bin")], classes: 10, source: "t") }
        record10[0] = 12
        try write(record10, dir.file("badlabel.bin"))
        #expect(throws: PareError.self) { try CIFARBinary.read(paths: [dir.file("badlabel.bin")], classes: 10, source: "t") }
    }

    func tensor(_ name: String, _ dtype: DType, _ shape: [Int64], _ bytes: [UInt8]) -> WeightTensor {
        WeightTensor(name: name, dtype: dtype, shape: shape, data: TensorData(copying: bytes))
    }

    @Test func npzDataIsUsedAsStored() throws {
        let dir = TempDir()
        let floats: [Float] = [0.5, -2, 3, 4, 5, 6, 7, 8]
        let floatBytes = floats.withUnsafeBytes { Array($0) }
        let labels: [Int64] = [1, 4]
        let set = WeightSet(tensors: [tensor("x", .float, [2, 1, 2, 2], floatBytes),
                                      tensor("y", .int64, [2], labels.withUnsafeBytes { Array($0) })])
        try NpzWriter.write(set, to: dir.file("d.npz"))
        let (train, test) = try DatasetSpec(parsing: "npz:\(dir.file("d.npz"))").load()
        #expect(test == nil && train.normalization == nil)
        #expect(train.count == 2 && train.classCount == 5 && train.labels == [1, 4])
        var image = [Float](repeating: 0, count: 4)
        train.writeImage(1, to: &image)
        #expect(image == [5, 6, 7, 8])
        let bad = WeightSet(tensors: [tensor("x", .float, [2, 1, 2, 2], floatBytes),
                                      tensor("y", .int64, [3], [Int64](repeating: 0, count: 3).withUnsafeBytes { Array($0) })])
        try NpzWriter.write(bad, to: dir.file("bad.npz"))
        #expect(throws: PareError.self) { try DatasetSpec(parsing: "npz:\(dir.file("bad.npz"))").load() }
        let noLabels = WeightSet(tensors: [tensor("x", .float, [2, 1, 2, 2], floatBytes)])
        try NpzWriter.write(noLabels, to: dir.file("nolabels.npz"))
        let error = #expect(throws: PareError.self) { try DatasetSpec(parsing: "npz:\(dir.file("nolabels.npz"))").load() }
        #expect(error?.description.contains("'x' and 'y'") == true)
    }
}
