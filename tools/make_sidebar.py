#!/usr/bin/env python3
"""Write nbs/sidebar.yml for quarto (`nbdev_docs`) with the sections a first-time reader needs, tutorials first.

nbdev's own `nbdev_sidebar` lists the notebooks in file-name order (library 00-13, analyses 20-22, tutorials 30-32),
so a reader meets the parsing internals before the tutorials. This writes the same notebooks in the order of the
offline site (tools/build_docs.py): Home, Tutorials (3x_), Library (0x_, 1x_), Analyses (2x_), Other. Every notebook in
nbs/ is listed, so a new one (e.g. 31_train_calibrated_slm.ipynb) appears without editing anything.
nbdev overwrites sidebar.yml unless settings.ini has `custom_sidebar = True`; the deploy workflow sets it before
`nbdev_docs` (see .github/workflows/deploy.yaml).
Usage: python tools/make_sidebar.py [--nbs nbs] [--print]
"""
import argparse, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_docs import SECTIONS, _section   # one definition of the sections for both sites

def notebooks(nbs: Path) -> list[str]:
    "Notebook file names that become pages (nbdev skips names starting with _ or .)."
    return sorted(p.name for p in nbs.glob('*.ipynb') if not p.name.startswith(('_', '.')))

def sidebar_yaml(names: list[str]) -> str:
    "The sidebar.yml text: index first, then one quarto `section` per non-empty group, in SECTIONS order."
    out = ['website:', '  sidebar:', '    contents:']
    if 'index.ipynb' in names: out.append('      - index.ipynb')
    for sec in [s for s, _ in SECTIONS] + ['Other']:
        items = [n for n in names if n != 'index.ipynb' and _section(Path(n).stem) == sec]
        if not items: continue
        out += [f'      - section: {sec}', '        contents:'] + [f'          - {n}' for n in items]
    return '\n'.join(out) + '\n'

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--nbs', default=str(ROOT/'nbs'), help='notebook folder (default: nbs)')
    ap.add_argument('--print', action='store_true', help='print the YAML instead of writing nbs/sidebar.yml')
    a = ap.parse_args()
    text = sidebar_yaml(notebooks(Path(a.nbs)))
    if a.print: print(text, end='')
    else: (Path(a.nbs)/'sidebar.yml').write_text(text); print(f'wrote {Path(a.nbs)/"sidebar.yml"}')
