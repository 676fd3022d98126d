#!/usr/bin/env python3
"""The test suite as a user's fresh clone runs it, timed: `.ci/run` in a clean clone of HEAD (the README's test
command with no data folder and no Hugging Face Hub, then the data cells with the data folder when this machine has
one), with the load average sampled every 10 s. Writes bench/results/test_suite.md (then `python bench/collect.py`).

Usage: python bench/test_suite.py [--keep]      (--keep leaves the clone and its log in /tmp)
The README's goal: the test command under 20 minutes on 2 cores at load 2.
"""
import argparse, os, re, shutil, subprocess, sys, tempfile, threading, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from nb_timing import durations        # noqa: E402  (tools/ is not a package)

def sample_load(stop: threading.Event, out: list, every: float = 10.0) -> None:
    "Append the 1-minute load average to `out` every `every` seconds until `stop` is set."
    while not stop.wait(every): out.append(os.getloadavg()[0])

def run_ci(clone: Path, log: Path) -> tuple[int, float, list]:
    "(exit code, wall seconds, load samples) of `bash .ci/run` in `clone`, its output in `log`."
    stop, loads = threading.Event(), [os.getloadavg()[0]]
    threading.Thread(target=sample_load, args=(stop, loads), daemon=True).start()
    t0 = time.time()
    with log.open('w') as f:
        rc = subprocess.run(['bash', '.ci/run'], cwd=clone, stdout=f, stderr=subprocess.STDOUT,
                            env=os.environ | {'CI': 'true'}).returncode
    stop.set()
    return rc, time.time() - t0, loads

def summary_lines(log_text: str) -> dict:
    "The closing lines of .ci/run: without data, with data, notebooks."
    return dict(re.findall(r'^(without data|with data|notebooks)[^:]*: (.*)$', log_text, re.M))

def write_results(rc: int, wall: float, loads: list, log_text: str, stamps: Path) -> Path:
    "bench/results/test_suite.md from one run."
    d = durations([stamps]) if stamps.exists() else {}
    lines = summary_lines(log_text)
    slow = sorted(d.items(), key=lambda kv: -kv[1])[:10]
    out = ROOT/'bench'/'results'/'test_suite.md'
    out.write_text('\n'.join([
        '## The test suite on a fresh clone (issue 18)', '',
        'Command: `python bench/test_suite.py` runs `bash .ci/run` in a clean clone of HEAD: the README\'s test command '
        'with `COREA_DATA` pointed at an empty folder and the Hub offline (as a user\'s clone meets it), then the cells '
        'flagged `#| data` with the data folder beside the repository.', '',
        f'Run {time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())}: exit code {rc}, {wall / 60:.1f} min wall in all '
        f'(installs included), load average (1 min) {min(loads):.1f} to {max(loads):.1f}, '
        f'mean {sum(loads) / len(loads):.1f} over {len(loads)} samples.', '',
        *(f'- {k}: {v}' for k, v in lines.items()), '',
        '| notebook run | seconds |', '|---|---|', *(f'| {nb} | {s:.0f} |' for nb, s in slow), '']))
    return out

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--keep', action='store_true', help='keep the clone and its log')
    a = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix='corea-suite-'))
    clone = work/'corea'
    subprocess.run(['git', 'clone', '-q', str(ROOT), str(clone)], check=True)
    shared = ROOT.parent/'shared'
    if shared.is_dir(): os.symlink(shared, work/'shared')      # beside the clone, as on CI
    log = work/'ci.log'
    rc, wall, loads = run_ci(clone, log)
    text = log.read_text(errors='replace')
    stamp_file = next(iter(re.findall(r'^STAMPS (\S+)$', text, re.M)), None)
    stamps = Path(stamp_file) if stamp_file else work/'none'
    out = write_results(rc, wall, loads, text, stamps)
    print(text[-3000:])
    print(f'wrote {out}; exit code {rc}; {wall / 60:.1f} min')
    if not a.keep: shutil.rmtree(work, ignore_errors=True)
    else: print(f'kept {work}')
    return rc

if __name__ == '__main__': sys.exit(main())
