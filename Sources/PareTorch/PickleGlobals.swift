import PareCore

/// A class or function named by GLOBAL / STACK_GLOBAL, resolved against Pare's allow-list. The
/// machine never imports or calls anything: `kind` says how the machine interprets the name.
struct PickleGlobal: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case orderedDict, counter
        case rebuildTensorV2, rebuildTensorV3, rebuildTensor
        case rebuildParameter, rebuildParameterWithState, rebuildFromTypeV2
        /// A storage class (`torch.FloatStorage`, `torch.UntypedStorage`, …).
        case storageClass(TorchStorageClass)
        /// A dtype token (`torch.float16`); nil element type for dtypes Pare does not support.
        case dtype(name: String, element: DType?)
        case size, device, parameter
        /// `torch.Tensor`, `torch.FloatTensor`, …: a tensor class token.
        case tensorClass
        case codecsEncode, builtinSet, builtinFrozenset, builtinBytearray, builtinComplex
        /// Layout and quantization-scheme tokens and `_get_layout`: harmless names.
        case token, getLayout
        /// Rebuild functions for tensor kinds Pare does not read (PT-10 when called).
        case unsupportedRebuild
        /// Not on the allow-list: refused (PK-03), or inert with `lenientPickle`.
        case unknown
    }

    let module: String
    let name: String
    let kind: Kind

    var qualifiedName: String { "\(module).\(name)" }
}

/// The allow-list (spec §5.3.2) and the always-deny list (PK-04).
enum PickleGlobals {
    /// Python 2 module names, read the way Python 3 reads Python 2 pickles.
    static let renamedModules = ["__builtin__": "builtins", "copy_reg": "copyreg", "cPickle": "pickle",
                                 "exceptions": "builtins", "_abcoll": "collections.abc"]

    /// Modules a checkpoint never needs and an attacker always does. Matched against every
    /// component of the dotted path, so `torch.os.system` (reachable by attribute walk in
    /// protocol 4) is caught as well as `os.system`.
    static let deniedModules: Set<String> = ["os", "posix", "nt", "sys", "subprocess", "socket", "shutil",
                                             "importlib", "runpy", "pty", "ctypes", "webbrowser"]
    /// Functions that run code or reach attributes, denied under `builtins` and as the last
    /// component anywhere (`getattr` is how a restricted unpickler is escaped).
    static let deniedFunctions: Set<String> = ["eval", "exec", "compile", "open", "getattr", "setattr", "delattr",
                                               "__import__", "globals", "breakpoint"]

    static let rebuilders: [String: PickleGlobal.Kind] = [
        "_rebuild_tensor_v2": .rebuildTensorV2, "_rebuild_tensor_v3": .rebuildTensorV3,
        "_rebuild_tensor": .rebuildTensor, "_rebuild_parameter": .rebuildParameter,
        "_rebuild_parameter_with_state": .rebuildParameterWithState,
        "_rebuild_qtensor": .unsupportedRebuild, "_rebuild_sparse_tensor": .unsupportedRebuild,
        "_rebuild_meta_tensor_no_storage": .unsupportedRebuild, "_rebuild_wrapper_subclass": .unsupportedRebuild,
        "_rebuild_device_tensor_from_cpu_tensor": .unsupportedRebuild,
        "_rebuild_device_tensor_from_numpy": .unsupportedRebuild, "_rebuild_nested_tensor": .unsupportedRebuild,
    ]

    static let tokens: Set<String> = [
        "torch.strided", "torch.sparse_coo", "torch.sparse_csr", "torch.sparse_csc", "torch.sparse_bsr",
        "torch.sparse_bsc", "torch._mkldnn", "torch.jagged",
        "torch.per_tensor_affine", "torch.per_channel_affine", "torch.per_tensor_symmetric",
        "torch.per_channel_symmetric", "torch.per_channel_affine_float_qparams",
        "torch.contiguous_format", "torch.channels_last", "torch.channels_last_3d", "torch.preserve_format",
    ]

    static let tensorClasses: Set<String> = [
        "Tensor", "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor",
        "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
    ]

    /// True when the global is on the always-deny list (PK-04, every mode).
    static func isDenied(module: String, name: String) -> Bool {
        let components = (module + "." + name).split(separator: ".").map(String.init)
        if components.contains(where: { deniedModules.contains($0) }) { return true }
        if let last = components.last, deniedFunctions.contains(last) { return true }
        return false
    }

    /// Resolves a (normalised) module and name. Names containing dots are attribute walks, which
    /// only protocol 4 performs; they are looked up by their full dotted path, so they match the
    /// allow-list only when the walk ends where a plain name would.
    static func resolve(module rawModule: String, name: String) -> PickleGlobal {
        let module = renamedModules[rawModule] ?? rawModule
        let full = module + "." + name
        func g(_ k: PickleGlobal.Kind) -> PickleGlobal { PickleGlobal(module: module, name: name, kind: k) }
        switch full {
        case "collections.OrderedDict": return g(.orderedDict)
        case "collections.Counter": return g(.counter)
        case "torch._tensor._rebuild_from_type_v2": return g(.rebuildFromTypeV2)
        case "torch.Size": return g(.size)
        case "torch.device": return g(.device)
        case "torch.nn.parameter.Parameter": return g(.parameter)
        case "_codecs.encode": return g(.codecsEncode)
        case "builtins.set": return g(.builtinSet)
        case "builtins.frozenset": return g(.builtinFrozenset)
        case "builtins.bytearray": return g(.builtinBytearray)
        case "builtins.complex": return g(.builtinComplex)
        case "torch.serialization._get_layout": return g(.getLayout)
        default: break
        }
        if module == "torch._utils", let k = rebuilders[name] { return g(k) }
        if tokens.contains(full) { return g(.token) }
        // Storages saved from a GPU name `torch.cuda.<Name>Storage`; the bytes are the same.
        if module == "torch" || module == "torch.storage" || module == "torch.cuda" {
            if let s = TorchStorageClass(className: name) { return g(.storageClass(s)) }
        }
        if module == "torch" {
            if let d = TorchDTypes.byName[name] { return g(.dtype(name: name, element: d)) }
            if TorchDTypes.unsupported.contains(name) { return g(.dtype(name: name, element: nil)) }
        }
        if ["torch", "torch.cuda", "torch.sparse", "torch.cuda.sparse"].contains(module), tensorClasses.contains(name) {
            return g(.tensorClass)
        }
        return g(.unknown)
    }
}
