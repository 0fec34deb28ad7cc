"""Bad plans and bad requests through the CLI: each must exit non-zero with one line on stderr
naming the problem, and leave no output file.

    python tests/prune/bad_input.py --pare PARE --model DIR/fixtures/residual.onnx
Ends with `N passed, N failed`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", required=True)
    ap.add_argument("--model", required=True)
    args = ap.parse_args()
    groups = json.loads(subprocess.run([args.pare, "groups", args.model, "--json"], check=True,
                                       capture_output=True, text=True).stdout)["groups"]
    prunable = next(g for g in groups if g["prunable"])
    frozen = next(g for g in groups if not g["prunable"])
    root = next(m for m in prunable["members"] if m["role"] == "producer")
    name, n = root["tensor"], prunable["channels"]
    frozen_member = frozen["members"][0]
    import onnx  # the model's declared input, to contradict it
    graph_input = onnx.load(args.model, load_external_data=False).graph.input[0]
    input_name = graph_input.name
    declared = [d.dim_value or 1 for d in graph_input.type.tensor_type.shape.dim]
    wrong_rank = "x".join(map(str, declared[:-1]))
    wrong_channels = "x".join(map(str, [declared[0], declared[1] + 2] + declared[2:]))
    cases = {
        "unknown tensor": ({"groups": [{"member": "no.such.weight", "remove": [0]}]}, "no group has a member named"),
        "index out of range": ({"groups": [{"member": name, "axis": 0, "remove": [n]}]}, "out of range"),
        "negative index": ({"groups": [{"member": name, "axis": 0, "remove": [-1]}]}, "out of range"),
        "repeated index": ({"groups": [{"member": name, "axis": 0, "remove": [1, 1]}]}, "listed twice"),
        "every channel": ({"groups": [{"member": name, "axis": 0, "remove": list(range(n))}]}, "at least one must stay"),
        "frozen group": ({"groups": [{"group": frozen["id"], "remove": [0]}]}, "frozen"),
        "not integers": ({"groups": [{"member": name, "remove": [0.5]}]}, "not a plan"),
        "not a plan": ({"layers": []}, "not a plan"),
        "unknown group id": ({"groups": [{"group": 9999, "remove": [0]}]}, "there is no group 9999"),
    }
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "out.onnx")
        model_copy = os.path.join(work, "model_copy.onnx")
        with open(args.model, "rb") as f:
            model_bytes = f.read()
        with open(model_copy, "wb") as f:
            f.write(model_bytes)
        runs = []
        for k, (label, (plan, expect)) in enumerate(cases.items()):
            path = os.path.join(work, f"plan{k}.json")
            with open(path, "w") as f:
                json.dump(plan, f)
            runs.append((label, [args.pare, "prune", args.model, "--plan", path, "-o", out], expect))
        runs += [
            ("missing plan file", [args.pare, "prune", args.model, "--plan", os.path.join(work, "none.json"), "-o", out], "cannot read the plan"),
            ("ratio out of range", [args.pare, "prune", args.model, "--method", "l2", "--channel-ratio", "1.5", "-o", out], "--channel-ratio"),
            ("unknown method", [args.pare, "prune", args.model, "--method", "taylor", "--channel-ratio", "0.5", "-o", out], "unknown method"),
            ("no criterion or plan", [args.pare, "prune", args.model, "-o", out], "--plan"),
            ("not an ONNX model", [args.pare, "prune", __file__, "--method", "l2", "--channel-ratio", "0.5", "-o", out], "pare:"),
            ("--keep an unknown tensor", [args.pare, "prune", args.model, "--method", "l2", "--channel-ratio", "0.5",
                                          "--keep", "no.such.weight", "-o", out], "not a member of any group"),
            ("plan touching a --keep group", [args.pare, "prune", args.model, "--plan", os.path.join(work, "plan2.json"),
                                              "--keep", name, "-o", out], "kept whole by --keep"),
            ("unreachable FLOPs target", [args.pare, "prune", args.model, "--method", "l2", "--flops-reduction", "0.99",
                                          "--max-ratio", "0.1", "-o", out], "at most"),
            # --input-shape fills in free axes only (a contradicting one reported an internal error).
            ("--input-shape for no input", [args.pare, "prune", args.model, "--method", "l2", "--channel-ratio", "0.5",
                                            "--input-shape", "no_such_input=1x3x16x16", "-o", out], "no such input"),
            ("--input-shape of the wrong rank", [args.pare, "prune", args.model, "--method", "l2", "--channel-ratio", "0.5",
                                                 "--input-shape", f"{input_name}={wrong_rank}", "-o", out], "rank"),
            ("--input-shape against a fixed axis", [args.pare, "prune", args.model, "--method", "l2", "--channel-ratio", "0.5",
                                                    "--input-shape", f"{input_name}={wrong_channels}", "-o", out], "axis 1"),
            ("output is a folder", [args.pare, "prune", args.model, "--method", "l2", "--channel-ratio", "0.5", "-o", work],
             "is a folder"),
            # A report on top of another file replaced it (the model itself, quietly); one that
            # could not be written failed only after the pruned model was written.
            ("--report names the model", [args.pare, "prune", model_copy, "--method", "l2", "--channel-ratio", "0.5",
                                          "--report", model_copy, "-o", out], "is also the model"),
            ("--report names the output", [args.pare, "prune", args.model, "--method", "l2", "--channel-ratio", "0.5",
                                           "--report", out, "-o", out], "is also -o"),
            ("--report is a folder", [args.pare, "prune", args.model, "--method", "l2", "--channel-ratio", "0.5",
                                      "--report", work, "-o", out], "is a folder"),
            ("groups: --input-shape for no input", [args.pare, "groups", args.model, "--input-shape", "no_such_input=1x3x16x16"],
             "no such input"),
        ]
        for label, argv, expect in runs:
            r = subprocess.run(argv, capture_output=True, text=True)
            lines = [l for l in r.stderr.splitlines() if l.strip()]
            ok = r.returncode != 0 and len(lines) >= 1 and expect in r.stderr and not os.path.exists(out)
            ok = ok and len([l for l in lines if not l.startswith("Usage") and not l.startswith("  ")]) <= 2
            print(f"{'ok  ' if ok else 'FAIL'} {label}: exit {r.returncode}: {lines[0] if lines else '(nothing on stderr)'}")
            passed += ok
            failed += not ok
        with open(model_copy, "rb") as f:
            intact = f.read() == model_bytes
        print(f"{'ok  ' if intact else 'FAIL'} the model named by --report is unchanged")
        passed += intact
        failed += not intact
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
