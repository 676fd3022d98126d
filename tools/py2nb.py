#!/usr/bin/env python3
"""Convert a percent-format script (cells split by `# %%` / `# %% [markdown]`) into a clean notebook, or back.

Usage: python tools/py2nb.py draft.py nbs/00_parsing.ipynb      (script -> notebook)
       python tools/py2nb.py nbs/00_parsing.ipynb draft.py      (notebook -> script)
Markdown cells are written as `# `-prefixed comment lines in the script.
"""
import json, re, secrets, sys
from pathlib import Path

def _md_lines(src):
    return [l[2:] if l.startswith('# ') else (l[1:] if l.startswith('#') else l) for l in src.splitlines()]

def py2nb(text):
    cells, kind, buf = [], None, []
    def flush():
        if kind is None: return
        while buf and not buf[-1].strip(): buf.pop()
        while buf and not buf[0].strip(): buf.pop(0)
        src = '\n'.join(_md_lines('\n'.join(buf)) if kind == 'markdown' else buf)
        cell = {'cell_type': kind, 'id': secrets.token_hex(4), 'metadata': {}, 'source': src.splitlines(keepends=True)}
        if kind == 'code': cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    for line in text.splitlines():
        m = re.match(r'^# %%(\s*\[markdown\])?\s*$', line)
        if m:
            flush(); kind, buf = ('markdown' if m.group(1) else 'code'), []
        else:
            if kind is None: kind = 'code'
            buf.append(line)
    flush()
    return {'cells': cells, 'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
            'nbformat': 4, 'nbformat_minor': 5}

def nb2py(nb):
    out = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            out.append('# %% [markdown]\n' + '\n'.join(('# ' + l) if l else '#' for l in src.splitlines()))
        else: out.append('# %%\n' + src)
    return '\n\n'.join(out) + '\n'

if __name__ == '__main__':
    src, dst = map(Path, sys.argv[1:3])
    if src.suffix == '.ipynb': dst.write_text(nb2py(json.loads(src.read_text())))
    else: dst.write_text(json.dumps(py2nb(src.read_text()), indent=1, ensure_ascii=False) + '\n')
