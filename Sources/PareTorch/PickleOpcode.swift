/// Pickle opcodes (byte values of CPython's `pickle` module) and the class each belongs to in
/// spec §5.3.1: T = PyTorch's weights-only unpickler accepts it, P = Pare also accepts it by
/// default (harmless when nothing executes; every size is capped), R = always rejected (PK-02).
enum PickleOpcode: UInt8 {
    case mark = 0x28, stop = 0x2E, pop = 0x30, popMark = 0x31, dup = 0x32
    case float = 0x46, int = 0x49, binint = 0x4A, binint1 = 0x4B, long = 0x4C, binint2 = 0x4D, none = 0x4E
    case persid = 0x50, binpersid = 0x51, reduce = 0x52, string = 0x53, binstring = 0x54
    case shortBinstring = 0x55, unicode = 0x56, binunicode = 0x58, emptyList = 0x5D, append = 0x61
    case build = 0x62, global = 0x63, dict = 0x64, appends = 0x65, get = 0x67, binget = 0x68, inst = 0x69
    case longBinget = 0x6A, list = 0x6C, obj = 0x6F, put = 0x70, binput = 0x71, longBinput = 0x72
    case setitem = 0x73, tuple = 0x74, emptyTuple = 0x29, setitems = 0x75, binfloat = 0x47, emptyDict = 0x7D
    case proto = 0x80, newobj = 0x81, ext1 = 0x82, ext2 = 0x83, ext4 = 0x84
    case tuple1 = 0x85, tuple2 = 0x86, tuple3 = 0x87, newtrue = 0x88, newfalse = 0x89, long1 = 0x8A, long4 = 0x8B
    case binbytes = 0x42, shortBinbytes = 0x43
    case shortBinunicode = 0x8C, binunicode8 = 0x8D, binbytes8 = 0x8E, emptySet = 0x8F, additems = 0x90
    case frozenset = 0x91, newobjEx = 0x92, stackGlobal = 0x93, memoize = 0x94, frame = 0x95
    case bytearray8 = 0x96, nextBuffer = 0x97, readonlyBuffer = 0x98

    enum Class { case torch, pare, rejected }

    var opcodeClass: Class {
        switch self {
        case .mark, .stop, .binint, .binint1, .binint2, .none, .binpersid, .reduce, .shortBinstring,
             .binunicode, .emptyList, .append, .build, .global, .appends, .binget, .longBinget, .binput,
             .longBinput, .setitem, .tuple, .emptyTuple, .setitems, .binfloat, .emptyDict, .proto, .newobj,
             .tuple1, .tuple2, .tuple3, .newtrue, .newfalse, .long1, .emptySet:
            .torch
        case .pop, .popMark, .dup, .binstring, .dict, .list, .long4, .binbytes, .shortBinbytes,
             .shortBinunicode, .binunicode8, .binbytes8, .additems, .frozenset, .stackGlobal, .memoize,
             .frame, .bytearray8:
            .pare
        case .float, .int, .long, .persid, .string, .unicode, .get, .inst, .obj, .put, .ext1, .ext2, .ext4,
             .newobjEx, .nextBuffer, .readonlyBuffer:
            .rejected
        }
    }

    /// CPython's name for the opcode, as `pickletools` prints it.
    var name: String {
        switch self {
        case .mark: "MARK"
        case .stop: "STOP"
        case .pop: "POP"
        case .popMark: "POP_MARK"
        case .dup: "DUP"
        case .float: "FLOAT"
        case .int: "INT"
        case .binint: "BININT"
        case .binint1: "BININT1"
        case .long: "LONG"
        case .binint2: "BININT2"
        case .none: "NONE"
        case .persid: "PERSID"
        case .binpersid: "BINPERSID"
        case .reduce: "REDUCE"
        case .string: "STRING"
        case .binstring: "BINSTRING"
        case .shortBinstring: "SHORT_BINSTRING"
        case .unicode: "UNICODE"
        case .binunicode: "BINUNICODE"
        case .emptyList: "EMPTY_LIST"
        case .append: "APPEND"
        case .build: "BUILD"
        case .global: "GLOBAL"
        case .dict: "DICT"
        case .appends: "APPENDS"
        case .get: "GET"
        case .binget: "BINGET"
        case .inst: "INST"
        case .longBinget: "LONG_BINGET"
        case .list: "LIST"
        case .obj: "OBJ"
        case .put: "PUT"
        case .binput: "BINPUT"
        case .longBinput: "LONG_BINPUT"
        case .setitem: "SETITEM"
        case .tuple: "TUPLE"
        case .emptyTuple: "EMPTY_TUPLE"
        case .setitems: "SETITEMS"
        case .binfloat: "BINFLOAT"
        case .emptyDict: "EMPTY_DICT"
        case .proto: "PROTO"
        case .newobj: "NEWOBJ"
        case .ext1: "EXT1"
        case .ext2: "EXT2"
        case .ext4: "EXT4"
        case .tuple1: "TUPLE1"
        case .tuple2: "TUPLE2"
        case .tuple3: "TUPLE3"
        case .newtrue: "NEWTRUE"
        case .newfalse: "NEWFALSE"
        case .long1: "LONG1"
        case .long4: "LONG4"
        case .binbytes: "BINBYTES"
        case .shortBinbytes: "SHORT_BINBYTES"
        case .shortBinunicode: "SHORT_BINUNICODE"
        case .binunicode8: "BINUNICODE8"
        case .binbytes8: "BINBYTES8"
        case .emptySet: "EMPTY_SET"
        case .additems: "ADDITEMS"
        case .frozenset: "FROZENSET"
        case .newobjEx: "NEWOBJ_EX"
        case .stackGlobal: "STACK_GLOBAL"
        case .memoize: "MEMOIZE"
        case .frame: "FRAME"
        case .bytearray8: "BYTEARRAY8"
        case .nextBuffer: "NEXT_BUFFER"
        case .readonlyBuffer: "READONLY_BUFFER"
        }
    }
}
