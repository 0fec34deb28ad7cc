"""An interrupted write leaves nothing behind: Ctrl-C (SIGINT) or SIGTERM during `pare convert`
(or SIGPIPE, when the reader of a pipe output goes away)
ends the process with that signal, the destination untouched (absent here) and no hidden
`.NAME.pare-XXXXXX` temporary file left beside it (those were once left, as large as the model).

The write is made slow enough to catch with --external-data --alignment 16777216 over many small
tensors (each padded to 16 MiB, about 1 GB in all, in /dev/shm when it exists). The process is
stopped (SIGSTOP) as soon as its temporary file appears, sent the signal, then continued, so the
signal always lands mid-write.

    .venv/bin/python tests/formats/interrupted_write.py PARE WORK
"""
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import helper, numpy_helper

TENSORS = 64


def main():
    pare, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "many_tensors.onnx")
    inits = [numpy_helper.from_array(np.full((4,), i, np.float32), f"w{i}") for i in range(TENSORS)]
    nodes, last = [], "x"
    for i in range(TENSORS):
        nodes.append(helper.make_node("Add", [last, f"w{i}"], [f"h{i}"]))
        last = f"h{i}"
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info(last, onnx.TensorProto.FLOAT, [4])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), src)
    scratch = os.path.join("/dev/shm" if os.path.isdir("/dev/shm") else work, f"pare-interrupt-{os.getpid()}")
    failures = 0
    for sig in (signal.SIGINT, signal.SIGTERM):
        shutil.rmtree(scratch, ignore_errors=True)
        os.makedirs(scratch)
        out = os.path.join(scratch, "out.onnx")
        # A shell without job control starts background commands with SIGINT ignored, and pare
        # rightly keeps an ignored SIGINT (as Ctrl-C should not reach it then); so a test run
        # from such a script (`.ci/run ... &`) gives pare SIGINT's default back first.
        p = subprocess.Popen([pare, "convert", src, "-o", out, "--external-data", "--threshold", "0",
                              "--alignment", "16777216"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        caught = False
        deadline = time.time() + 60
        while p.poll() is None and time.time() < deadline:
            if any(".pare-" in f for f in os.listdir(scratch)):
                p.send_signal(signal.SIGSTOP)
                p.send_signal(sig)
                p.send_signal(signal.SIGCONT)
                caught = True
                break
            time.sleep(0.0005)
        p.wait(timeout=60)
        left = os.listdir(scratch)
        good = caught and p.returncode == -sig and not left
        failures += not good
        print(f"{'ok  ' if good else 'FAIL'} {signal.Signals(sig).name} mid-write: exit {p.returncode}, "
              f"{'caught mid-write' if caught else 'the write ended before it was caught'}, left {left}")
    # A pipe whose reader goes away mid-write: pare ends with SIGPIPE, and the .npz it was
    # building in TMPDIR (a pipe cannot be renamed over) is removed too.
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    pipe = os.path.join(scratch, "pipe")
    os.mkfifo(pipe)
    temp_dir = os.path.join(scratch, "tmp")
    os.makedirs(temp_dir)
    big = os.path.join(work, "one_big_tensor.onnx")  # far more than a pipe buffers (64 KiB)
    w = numpy_helper.from_array(np.zeros((1 << 22,), np.float32), "w")
    onnx.save(helper.make_model(helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1 << 22])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1 << 22])], [w]), opset_imports=[helper.make_opsetid("", 17)]), big)
    reader = subprocess.Popen(["head", "-c", "1000", pipe], stdout=subprocess.DEVNULL)
    p = subprocess.run([pare, "convert", big, "-o", pipe, "--to", "npz"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "TMPDIR": temp_dir})
    reader.wait(timeout=60)
    left = os.listdir(temp_dir)
    good = p.returncode == -signal.SIGPIPE and not left
    failures += not good
    print(f"{'ok  ' if good else 'FAIL'} reader of a pipe output quits: exit {p.returncode}, left in TMPDIR {left}")
    shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
