#!/usr/bin/env python3
"""Does a refactor change a number a user sees? `corea table`, `corea demo` and `corea serve`'s threshold, run on the
embedded cache by this checkout and by an earlier revision (a temporary git worktree), compared byte for byte.

    python bench/same_numbers.py --base e38587a        # -> bench/results/same_numbers.md

Lines that name the output file (the report's path) are dropped before comparing; nothing else is.
"""
import argparse, os, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'bench'/'results'/'same_numbers.md'
COMMANDS = [['table', 'CACHE'], ['table', 'CACHE', '--threshold', 'drop:0.02', '--markdown'],
            ['table', 'CACHE', '--threshold', '0.7'], ['table', 'CACHE', '--threshold', 'guaranteed:0.02,0.1'],
            ['table', 'CACHE', '--ablation', '--confidence', 'verbalized'], ['demo', '--out', 'REPORT']]
SERVE_TAU = """
from corea.serve import threshold_from_cache
from corea.cache import default_cache_path
for rule in ['paper', 'guaranteed:0.05,0.2', 'guaranteed:0.02,0.1']:
    for ds in ['arithmetic', 'gsm8k', 'commonsenseqa']:
        for slm in ['L1-SLM', 'RLVR-SLM', 'SLM']:
            print(rule, ds, slm, threshold_from_cache(default_cache_path(), rule, dataset=ds, slm=slm)[0])
"""


def outputs(tree: Path, work: Path) -> dict[str, str]:
    "Each command's output (stdout + stderr) with `tree` first on the path, in a scratch folder."
    env = os.environ | {'PYTHONPATH': str(tree)}
    got = {}
    for cmd in COMMANDS:
        cache = str(tree/'corea'/'assets'/'default_cache')         # the embedded cache of that revision
        argv = [a.replace('REPORT', str(work/'report.html')).replace('CACHE', cache) for a in cmd]
        r = subprocess.run([sys.executable, '-m', 'corea.cli', *argv], cwd=work, env=env, capture_output=True, text=True)
        text = (r.stdout + r.stderr).replace(cache, 'CACHE')
        got['corea ' + ' '.join(cmd)] = '\n'.join(l for l in text.splitlines() if 'report.html' not in l)
    r = subprocess.run([sys.executable, '-c', SERVE_TAU], cwd=work, env=env, capture_output=True, text=True)
    got["corea serve's tau (threshold_from_cache, 3 rules x 3 datasets x 3 SLMs)"] = r.stdout + r.stderr
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--base', required=True, help='the git revision to compare with')
    a = ap.parse_args()
    head = subprocess.check_output(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, text=True).strip()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)/'base'
        subprocess.run(['git', 'worktree', 'add', '-q', '--detach', str(base), a.base], cwd=ROOT, check=True)
        try:
            (Path(tmp)/'w1').mkdir()
            (Path(tmp)/'w2').mkdir()
            old, new = outputs(base, Path(tmp)/'w1'), outputs(ROOT, Path(tmp)/'w2')
        finally: subprocess.run(['git', 'worktree', 'remove', '--force', str(base)], cwd=ROOT)
    rows = [f"| `{k}` | {len(old[k].splitlines())} | {'identical' if old[k] == new[k] else 'DIFFERENT'} |" for k in old]
    text = '\n'.join([f'## The same numbers after a refactor: HEAD ({head}) against {a.base}', '',
                      f'Command: `python bench/same_numbers.py --base {a.base}`. Each command ran on the embedded '
                      'cache with each revision first on PYTHONPATH; outputs compared byte for byte (the line naming '
                      "the report's path dropped).", '', '| output | lines | HEAD vs base |', '|---|---|---|', *rows])
    OUT.write_text(text + '\n')
    print(text)
    for k in old:
        if old[k] != new[k]: print(f'\n--- {k} differs', file=sys.stderr)
    sys.exit(0 if all(old[k] == new[k] for k in old) else 1)


if __name__ == '__main__': main()
