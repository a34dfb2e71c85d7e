#!/usr/bin/env python3
"""docrun.py -- run the examples of one chapter of a guide, as a doc test.

Usage: docrun.py check|fill GUIDE.md HEADING WORKDIR HOST CONFIG

The chapter is the text from the line HEADING up to the next line starting
with "## ".  In it:
  - a line "`NAME`:" followed by a fenced block: the block is written to
    WORKDIR/NAME before anything runs after it;
  - a line "$ awscredit ARGS" in a fenced block is run (shlex) in WORKDIR
    as HOST --config CONFIG ARGS; the lines after it, up to the next "$ "
    line or the end of the block, are its expected standard output, and a
    last line "EXIT N" its exit status (0 when absent).
check: prints "ok N - ..." / "not ok N - ..." per command (tests/run
counts them) and exits 1 on any difference.  fill: rewrites GUIDE.md with
what the commands print (for the author; review the diff).
"""
import shlex
import subprocess
import sys


def main():
    mode, guide, heading, work, host, config = sys.argv[1:7]
    lines = open(guide, encoding="utf-8").read().split("\n")
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
               len(lines))
    out = lines[:start]
    i, n, failed, in_block, pending = start, 0, 0, False, None
    while i < end:
        line = lines[i]
        if not in_block and line.startswith("`") and line.endswith("`:") and \
                i + 1 < end and lines[i + 1].startswith("```"):
            name = line[1:-2]
            j = i + 2
            while not lines[j].startswith("```"):
                j += 1
            with open(f"{work}/{name}", "w", encoding="utf-8") as f:
                f.write("\n".join(lines[i + 2:j]) + "\n")
            out.extend(lines[i:j + 1])
            i = j + 1
            continue
        if line.startswith("```"):
            in_block = not in_block
            out.append(line)
            i += 1
            continue
        if in_block and line.startswith("$ awscredit "):
            args = shlex.split(line[len("$ awscredit "):])
            j = i + 1
            while not lines[j].startswith("```") and not lines[j].startswith("$ "):
                j += 1
            want = lines[i + 1:j]
            want_rc = 0
            if want and want[-1].startswith("EXIT "):
                want_rc = int(want[-1][5:])
                want = want[:-1]
            p = subprocess.run([host, "--config", config] + args, cwd=work,
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
            got = p.stdout.rstrip("\n").split("\n") if p.stdout else []
            n += 1
            if mode == "check":
                if got == want and p.returncode == want_rc:
                    print(f"ok {n} - doc: {line}")
                else:
                    failed += 1
                    print(f"not ok {n} - doc: {line} (exit {p.returncode}, want {want_rc})")
                    for k in range(max(len(got), len(want))):
                        g = got[k] if k < len(got) else "<none>"
                        w = want[k] if k < len(want) else "<none>"
                        if g != w:
                            print(f"#   line {k + 1}: want {w!r}\n#            got  {g!r}")
                            break
                    if p.stderr:
                        print("#   stderr: " + p.stderr.strip()[:300])
            out.append(line)
            out.extend(got)
            if p.returncode:
                out.append(f"EXIT {p.returncode}")
            i = j
            continue
        out.append(line)
        i += 1
    out.extend(lines[end:])
    if mode == "fill":
        open(guide, "w", encoding="utf-8").write("\n".join(out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
