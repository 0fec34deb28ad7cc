import PareTestSupport
import Testing
@testable import PareNumPy

@Suite struct NpyHeaderTests {
    func parse(_ text: String, utf8: Bool = false) -> Result<NpyHeader, NpyHeader.Failure> {
        Array(text.utf8).withUnsafeBytes { b in Result { () throws(NpyHeader.Failure) in try NpyHeader.parse(b, utf8: utf8) } }
    }

    func rule(_ text: String) -> String? {
        if case .failure(let f) = parse(text) { return f.rule }
        return nil
    }

    @Test func numpyHeadersParse() throws {
        #expect(try parse("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }     \n").get()
                == NpyHeader(descr: "<f4", fortranOrder: false, shape: [3, 4]))
        #expect(try parse("{'descr': '|b1', 'fortran_order': True, 'shape': (), }\n").get().shape == [])
        #expect(try parse("{'shape': (5,), 'fortran_order': False, 'descr': '>i8'}\n").get().shape == [5])
        #expect(try parse("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (3L, 4L)}\n").get().shape == [3, 4])
        #expect(try parse("{'descr':'<f8','fortran_order':False,'shape':(1,2,3,),}\n").get().shape == [1, 2, 3])
    }

    @Test func malformedHeadersNameTheirRule() {
        #expect(rule("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }") == "NP-03")  // no newline
        #expect(rule("{'descr': '<f4', 'fortran_order': False, 'shape': (5)}\n") == "NP-03")   // not a tuple
        #expect(rule("{'descr': '<f4', 'fortran_order': False}\n") == "NP-03")
        #expect(rule("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': ()}\n") == "NP-03")
        #expect(rule("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}\n") == "NP-03")
        #expect(rule("{'descr': '<f4', 'fortran_order': Falsey, 'shape': ()}\n") == "NP-03")
        #expect(rule("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}\n") == "NP-03")
        #expect(rule("{'descr': '<f4', 'fortran_order': False, 'shape': (0x10,)}\n") == "NP-03")
        #expect(rule("{'descr': '<f4', 'fortran_order': False, 'shape': (1 2)}\n") == "NP-03")
        #expect(rule("{'descr': __import__('os').system('x'), 'fortran_order': False, 'shape': ()}\n") == "NP-03")
        #expect(rule("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}\n") == "NP-04")
        #expect(rule("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}\n") == "NP-05")
        #expect(rule("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}\n") == "NP-05")
        #expect(rule("{'descr': '<f4', 'fortran_order': False, 'shape': (" + String(repeating: "1,", count: 65) + ")}\n") == "NP-05")
    }

    @Test func descrStrings() throws {
        #expect(try NpyDescr.parse("<c16").get() == NpyElement(dtype: .complex128, itemSize: 16, bigEndian: false, nativeOrder: false))
        #expect(try NpyDescr.parse(">f2").get().bigEndian)
        #expect(try NpyDescr.parse(">u1").get().bigEndian == false)  // one byte has no order
        #expect(try NpyDescr.parse("=i4").get().nativeOrder)
        for bad in ["|O", "|O8", "<V2", "|S5", "<U3", "<M8[ns]", "<f16", "f4", "|f4", "<i3"] {
            #expect((try? NpyDescr.parse(bad).get()) == nil, "\(bad)")
        }
        #expect(NpyDescr.descr(for: .bool) == "|b1")
        #expect(NpyDescr.descr(for: .int8) == "|i1")
        #expect(NpyDescr.descr(for: .complex128) == "<c16")
        #expect(NpyDescr.descr(for: .bfloat16) == nil)
    }
}
