#!/usr/bin/env python3
"""The notebook cells that need public data, and their test run.

A cell that reads the text of a public benchmark or a public release of model generations carries the test flag
`#| data KIND` (KIND: `benchmarks` or `generations`, the folders of the data folder that `shared/data/SOURCES.md`
describes). `nbdev_test` skips such cells (`data` is in `tst_flags` in settings.ini), because a clone of the
repository has no data folder and its tests must pass all the same.

Usage: python tools/data_cells.py           one line per notebook: how many cells were skipped and what they need
       python tools/data_cells.py --run     the same, then, when a data folder is found (COREA_DATA, or shared/data
                                            beside the repository), `nbdev_test --flags data` on those notebooks
       python tools/data_cells.py --file-re the regular expression of those notebooks' names, for nbdev_test --file_re
Exit code: nbdev_test's with --run (0 when no data folder is found: the cells were skipped and said so), else 0.
"""
import argparse, json, re, subprocess, sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEEDS = {'benchmarks': 'public benchmark text (benchmarks/)',
         'generations': 'public model generations (generations/, with benchmarks/)'}
_flag = re.compile(r'^\s*#\|\s*data\b\s*(\S*)')

def data_cells(nbs: Path = ROOT/'nbs') -> dict[str, Counter]:
    "{notebook name: Counter of KIND} over the code cells flagged `#| data KIND`."
    out = {}
    for p in sorted(nbs.glob('*.ipynb')):
        kinds = Counter()
        for c in json.loads(p.read_text())['cells']:
            if c['cell_type'] != 'code': continue
            for line in ''.join(c['source']).splitlines():
                if not line.lstrip().startswith('#|'): break
                if (m := _flag.match(line)): kinds[m.group(1) or 'benchmarks'] += 1
        if kinds: out[p.name] = kinds
    return out

def skip_lines(cells: dict[str, Counter]) -> list[str]:
    "One line per notebook: the cells skipped without data and what they need."
    return [f"skipped {sum(k.values())} data cell(s) in {nb}: need {', '.join(NEEDS.get(x, x) for x in sorted(k))}"
            for nb, k in cells.items()]

def file_re(cells: dict[str, Counter]) -> str:
    "A regular expression matching exactly the notebooks that hold data cells."
    return '^(' + '|'.join(re.escape(nb) for nb in cells) + ')$'

def data_folder() -> Path | None:
    "The data folder corea would read, or None (corea.data.shared_data_dir)."
    sys.path.insert(0, str(ROOT))
    from corea.data import shared_data_dir
    return shared_data_dir(required=False)

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--run', action='store_true', help='run the data cells when a data folder is found')
    ap.add_argument('--file-re', action='store_true', help="print the notebooks' regular expression and stop")
    a = ap.parse_args(argv)
    cells = data_cells()
    if a.file_re: return print(file_re(cells)) or 0
    folder = data_folder()
    if not a.run or folder is None:
        for line in skip_lines(cells): print(line)
        how = (f"data folder found at {folder}: run them with --run" if folder else
               "no data folder: set COREA_DATA=DIR (layout: shared/data/SOURCES.md), then run python tools/data_cells.py --run")
        print(f"data cells: {sum(sum(k.values()) for k in cells.values())} in {len(cells)} notebooks; {how}")
        return 0
    print(f"data cells: running {len(cells)} notebooks with the data folder {folder}", flush=True)
    cmd = ['nbdev_test', '--flags', 'data', '--do_print', '--timing', '--file_re', file_re(cells)]
    return subprocess.run(cmd, cwd=ROOT).returncode

if __name__ == '__main__': sys.exit(main())
