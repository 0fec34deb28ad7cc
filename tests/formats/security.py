#!/usr/bin/env python3
"""The committed security corpora through the `pare` CLI (issue 3).

  .venv/bin/python tests/formats/security.py --pare .build/debug/pare

For every file of fixtures/security/*/ that its expected.json marks as an error, `pare convert FILE
OUT` and `pare inspect FILE` must exit non-zero with exactly one stderr line that names the rule,
and create no output file (nor a temporary one) in the output folder. Pickle payloads are built to
create /tmp/pare-canary-* files if any code ever ran: none may exist afterwards. Warnings-only
entries (outcome "warning"/"ok") must convert successfully. Ends with `N passed, M failed`.
"""
import argparse, glob, json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def entries():
    for exp in sorted(glob.glob(os.path.join(ROOT, "fixtures/security/*/expected.json"))):
        folder = os.path.dirname(exp)
        for key, e in json.load(open(exp)).items():
            name = e.get("file", key)
            outcome = e.get("outcome") or ("error" if e.get("rule") else "ok")
            yield os.path.join(folder, name), e["rule"], outcome


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pare", required=True)
    args = ap.parse_args()
    for c in glob.glob("/tmp/pare-canary-*"):
        os.unlink(c)
    passed = failed = 0
    for path, rule, outcome in entries():
        with tempfile.TemporaryDirectory() as out_dir:
            out = os.path.join(out_dir, "out.safetensors")
            problems = []
            conv = subprocess.run([args.pare, "convert", path, out], capture_output=True, text=True, timeout=60)
            insp = subprocess.run([args.pare, "inspect", path], capture_output=True, text=True, timeout=60)
            if outcome == "error":
                for label, r in (("convert", conv), ("inspect", insp)):
                    lines = [l for l in r.stderr.splitlines() if l.strip()]
                    if r.returncode <= 0:
                        problems.append(f"{label} exit {r.returncode}")
                    elif len(lines) != 1:
                        problems.append(f"{label} printed {len(lines)} stderr lines")
                    elif rule not in lines[0]:
                        problems.append(f"{label} error does not name {rule}: {lines[0][:160]}")
                if os.listdir(out_dir):
                    problems.append(f"left files behind: {os.listdir(out_dir)}")
            elif conv.returncode != 0:
                problems.append(f"expected to convert ({outcome}), exit {conv.returncode}: {conv.stderr.strip()[:160]}")
        name = os.path.relpath(path, ROOT)
        if problems:
            failed += 1
            print(f"FAIL {name} ({rule}): " + "; ".join(problems))
        else:
            passed += 1
            print(f"PASS {name} ({rule})")
    canaries = glob.glob("/tmp/pare-canary-*")
    if canaries:
        failed += 1
        print(f"FAIL code ran: canary files exist: {canaries}")
    else:
        passed += 1
        print("PASS no payload ran (no /tmp/pare-canary-* file exists)")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
