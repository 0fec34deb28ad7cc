"""Writes onnx's backend node test cases (model.onnx + test_data_set_*/input_*.pb, output_*.pb)
into a folder, from the test-case definitions shipped in the onnx package (the wheel does not ship
the generated data). Deterministic: the cases seed NumPy themselves.

usage: make_node_tests.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case import node as node_cases


def main() -> None:
    out = sys.argv[1]
    np.random.seed(0)
    cases = node_cases.collect_testcases()
    written = 0
    for case in cases:
        if not case.model or not case.data_sets:
            continue
        folder = os.path.join(out, case.name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            data = os.path.join(folder, f"test_data_set_{i}")
            os.makedirs(data, exist_ok=True)
            ok = True
            for kind, values, infos in (("input", inputs, case.model.graph.input), ("output", outputs, case.model.graph.output)):
                for j, value in enumerate(values):
                    if isinstance(value, onnx.TensorProto):  # types NumPy lacks (float8, int4 …)
                        with open(os.path.join(data, f"{kind}_{j}.pb"), "wb") as f:
                            f.write(value.SerializeToString())
                        continue
                    if not isinstance(value, np.ndarray) and not np.isscalar(value):
                        ok = False  # sequences, maps, optionals: outside the engine's scope
                        continue
                    tensor = numpy_helper.from_array(np.asarray(value), infos[j].name)
                    with open(os.path.join(data, f"{kind}_{j}.pb"), "wb") as f:
                        f.write(tensor.SerializeToString())
            if not ok:
                open(os.path.join(data, "NOT_TENSORS"), "w").close()
        written += 1
    print(f"make_node_tests: {written} cases in {out}")


if __name__ == "__main__":
    main()
