#!/usr/bin/env python3
"""How long each notebook of an `nbdev_test --do_print` run took, also when one failed (nbdev_test prints its
`--timing` table only after a run in which every notebook passed).

Usage: nbdev_test --do_print ... 2>&1 | python tools/nb_timing.py tee LOG    pass the output through, and write each
                                                                           line with its arrival time into LOG
       python tools/nb_timing.py report LOG [LOG ...] [--top 10]          the slowest notebooks, from the times at
                                                                           which each one's 'Starting' and
                                                                           '- Completed' lines arrived
"""
import argparse, re, sys, time
from pathlib import Path

_start, _done = re.compile(r'^Starting (\S+\.ipynb)'), re.compile(r'^- Completed (\S+\.ipynb)')

def tee(log: Path) -> int:
    "Copy stdin to stdout line by line, and to `log` with the time each line arrived."
    with log.open('a') as f:
        for line in sys.stdin:
            sys.stdout.write(line)
            sys.stdout.flush()
            f.write(f'{time.time():.2f} {line}')
            f.flush()
    return 0

def durations(logs: list[Path]) -> dict[str, float]:
    "{notebook: seconds} from the stamped logs (a notebook that never completed is timed to the log's last line)."
    out = {}
    for log in logs:
        started, last = {}, None
        for raw in log.read_text(errors='replace').splitlines():
            t, _, line = raw.partition(' ')
            try: last = float(t)
            except ValueError: continue
            if (m := _start.match(line)): started[m.group(1)] = last
            elif (m := _done.match(line)) and m.group(1) in started: out[Path(m.group(1)).name] = last - started.pop(m.group(1))
        for nb, t0 in started.items(): out[Path(nb).name + ' (did not complete)'] = (last or t0) - t0
    return out

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('mode', choices=['tee', 'report'])
    ap.add_argument('logs', nargs='+', type=Path)
    ap.add_argument('--top', type=int, default=10)
    a = ap.parse_args(argv)
    if a.mode == 'tee': return tee(a.logs[0])
    d = durations([p for p in a.logs if p.exists()])
    print(f'slowest {min(a.top, len(d))} of {len(d)} notebook runs:')
    for nb, s in sorted(d.items(), key=lambda kv: -kv[1])[:a.top]: print(f'  {s:7.0f} s  {nb}')
    return 0

if __name__ == '__main__': sys.exit(main())
