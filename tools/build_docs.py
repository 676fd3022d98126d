#!/usr/bin/env python3
"""Build corea's documentation site offline, without quarto: execute the notebooks, process them with nbdev, render HTML.

The published site is built by quarto (`nbdev_docs`, .github/workflows/deploy.yaml). quarto cannot be installed on a
machine without its binary download, so this script renders the same processed notebooks into a browsable static site:
1. execute each notebook in `nbs/` with execnb (as `nbdev_test` does: cells flagged `eval: false`, `gpu`, `notest`,
   `slow` unless --slow, and `data` unless a data folder is found, are skipped) and keep the outputs;
2. process the executed notebooks with nbdev's docs processors (`nbdev.serve.proc_nbs`): hidden cells dropped,
   `show_doc` added and executed for every exported function, frontmatter from the title cell;
3. render every processed notebook into `<out>/<name>.html` with a sidebar (Library / Analyses / Tutorials), plotly
   figures drawn by a local copy of plotly.js (works from file:// with no network), `show_doc` tables as HTML tables.
`index.ipynb` (the README) becomes `index.html`. `<out>/manifest.json` lists each page with the plots and `show_doc`
entries it must show, for tools/check_docs.py.

Usage: python tools/build_docs.py [--out _site] [--only 11_widgets,12_cli] [--no-exec] [--slow] [--keep-going]
       python tools/build_docs.py --exec-inplace     (CI only: save outputs into nbs/ so that `nbdev_docs` shows them)
Exit code 1 when a notebook fails to execute (unless --keep-going: the page is still written, with the error shown).
"""
import argparse, html, json, os, re, shutil, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'
SECTIONS = [('Tutorials', re.compile(r'^3\d_')), ('Library', re.compile(r'^[01]\d_')), ('Analyses', re.compile(r'^2\d_'))]

# ---------------------------------------------------------------- 1. execute
_re_dir = re.compile(r'^\s*#\|\s*(.*)$')

def directives(src: str) -> dict:
    "`#|` directives at the top of a cell, as nbdev parses them: {'eval:': ['false'], 'slow': [], ...}"
    out = {}
    for line in src.splitlines():
        m = _re_dir.match(line)
        if not m:
            if line.strip(): break
            continue
        parts = m.group(1).split()
        if parts: out[parts[0]] = parts[1:]
    return out

def execute_nb(src: Path, dst: Path, skip_flags: set, timeout: float = 600) -> str | None:
    "Execute notebook `src` (in its folder) into `dst` with outputs; return an error text or None."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    nb = read_nb(src)
    def _skip(cell):
        if cell.cell_type != 'code': return True
        if 'nbdev_export(' in cell.source: return True
        d = directives(cell.source)
        if d.get('eval:', [''])[0].lower() == 'false': return True
        return bool(skip_flags & d.keys())
    k = CaptureShell(src)
    k.timeout = timeout
    os.environ['IN_TEST'] = '1'
    cwd = os.getcwd()
    err = None
    try:
        os.chdir(src.parent)
        k.run('import plotly.io as _pio; _pio.renderers.default = "plotly_mimetype"')
        k.run_all(nb, exc_stop=True, preproc=_skip)
    except Exception:
        err = k.prettytb(fname=src)
    finally:
        os.chdir(cwd); os.environ.pop('IN_TEST', None)
    write_nb(nb, dst)
    return err

# ---------------------------------------------------------------- 2. nbdev processing
def process(src: Path, dst: Path) -> str | None:
    "Run nbdev's docs processors (as `nbdev_docs` does) over one executed notebook; return an error text or None."
    from nbdev.processors import FilterDefaults, exec_show_docs
    from execnb.nbio import read_nb, write_nb
    os.environ['IN_TEST'] = '1'
    try:
        nb = read_nb(src); FilterDefaults()(nb); write_nb(nb, dst); return None
    except Exception as e:
        class _tolerant_exec(exec_show_docs):      # skip the cells that fail, so the page still documents its API
            def __call__(self, cell):
                before = cell.get('outputs')
                try: super().__call__(cell)
                except Exception: self.k.exc = None; cell['outputs'] = before   # keep what the notebook's own run showed
        class _Tolerant(FilterDefaults):
            def base_procs(self): return [_tolerant_exec if p is exec_show_docs else p for p in super().base_procs()]
        try: nb = read_nb(src); _Tolerant()(nb); write_nb(nb, dst); how = 'show_doc output from the cells that ran'
        except Exception:
            class _NoExec(FilterDefaults):
                def base_procs(self): return [p for p in super().base_procs() if p is not exec_show_docs]
            nb = read_nb(src); _NoExec()(nb); write_nb(nb, dst); how = 'no show_doc output'
        return f'nbdev processing of {src.name} failed ({e.__cause__ or e}); offline page rendered with {how}'
    finally: os.environ.pop('IN_TEST', None)

# ---------------------------------------------------------------- 3. render
_TEX = {r'\tau': 'τ', r'\hat{p}': 'p̂', r'\le': '≤', r'\leq': '≤', r'\ge': '≥', r'\geq': '≥', r'\times': '×', r'\cdot': '·',
        r'\alpha': 'α', r'\beta': 'β', r'\epsilon': 'ε', r'\varepsilon': 'ε', r'\sum': 'Σ', r'\in': '∈', r'\to': '→',
        r'\approx': '≈', r'\neq': '≠', r'\infty': '∞', r'\bmod': 'mod', r'\log': 'log', r'\min': 'min', r'\max': 'max',
        r'\mid': '|', r'\,': ' ', r'\;': ' ', r'\!': '', r'\quad': '  ', r'\lvert': '|', r'\rvert': '|'}

def _tex(src: str) -> str:
    "Plain-text rendering of simple inline TeX (no MathJax offline): Greek letters, relations, sub/superscripts, fractions."
    s = src
    for _ in range(3): s = re.sub(r'\\frac\{([^{}]*)\}\{([^{}]*)\}', r'(\1)/(\2)', s)
    s = re.sub(r'\\(?:text|mathrm|mathbf|operatorname)\{([^{}]*)\}', r'\1', s)
    s = re.sub(r'\\(hat|bar|tilde)\s*(?:\{(\w)\}|(\w))', lambda m: (m.group(2) or m.group(3)) + {'hat': '\u0302', 'bar': '\u0304', 'tilde': '\u0303'}[m.group(1)], s)
    for k in sorted(_TEX, key=len, reverse=True):   # \tau must not eat \tautology; \, \; \! end in a symbol, no such risk
        s = re.sub(re.escape(k) + (r'(?![A-Za-z])' if k[-1].isalpha() else ''), lambda m, v=_TEX[k]: v, s)
    s = re.sub(r'_\{([^{}]*)\}', r'<sub>\1</sub>', s); s = re.sub(r'_(\w)', r'<sub>\1</sub>', s)
    s = re.sub(r'\^\{([^{}]*)\}', r'<sup>\1</sup>', s); s = re.sub(r'\^(\w)', r'<sup>\1</sup>', s)
    return s.replace('{', '').replace('}', '')

def _math(html_text: str) -> str:
    "Replace $...$ and $$...$$ outside <pre>/<code> by their plain-text rendering in <span class=math>."
    parts = re.split(r'(<pre.*?</pre>|<code.*?</code>|<script.*?</script>)', html_text, flags=re.S)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r'\$\$(.+?)\$\$', lambda m: f'<div class="math">{_tex(m.group(1))}</div>', parts[i], flags=re.S)
        parts[i] = re.sub(r'(?<![\\$\w])\$([^$\n]+?)\$(?![\w$])', lambda m: f'<span class="math">{_tex(m.group(1))}</span>', parts[i])
    return ''.join(parts)

def _md(text: str) -> str:
    "Markdown to HTML with nbconvert's mistune renderer (tables, code highlighted), simple TeX as text."
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    text = re.sub(r'\]\(([^)]*)\)\{[^}\n]*\}', r'](\1)', text)          # pandoc link attributes {target=...}
    def _callout(m):
        inner = re.sub(r'\n\s*\n+', '\n', markdown2html_mistune(m.group(2)).strip())
        return f'\n\n<div class="callout callout-{m.group(1)}">{inner}</div>\n\n'
    text = re.sub(r'^:::\s*\{\.callout-(\w+)[^}]*\}\s*\n(.*?)\n:::\s*$', _callout, text, flags=re.M | re.S)
    return _math(markdown2html_mistune(text))

def _local_links(s: str, pages: set) -> str:
    "Point links at the published site (doc_host/doc_baseurl) to the local pages."
    from nbdev.config import get_config
    cfg = get_config()
    base = (cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/')).rstrip('/') + '/'
    def _sub(m):
        rest = m.group(1)
        page = rest.split('#')[0]
        return f'href="{rest}"' if page in pages or page == '' else m.group(0)
    return re.sub(r'href="' + re.escape(base) + r'([^"]*)"', _sub, s)

def _code(src: str) -> str:
    from pygments import highlight
    from pygments.lexers import PythonLexer
    from pygments.formatters import HtmlFormatter
    return highlight(src, PythonLexer(), HtmlFormatter(nowrap=False, cssclass='highlight'))

_is_showdoc_md = re.compile(r'^\s*---\s*\n(\s*\n)*(\[source\]\([^)]*\)(\{[^}]*\})?\s*\n\s*\n)?#{2,4} ', re.S)

def _out_html(o: dict, stats: dict) -> str:
    ot = o.get('output_type')
    if ot == 'stream':
        return f'<pre class="output stream {o.get("name","")}">{html.escape("".join(o.get("text", "")))}</pre>'
    if ot == 'error':
        tb = re.sub(r'\x1b\[[0-9;]*m', '', '\n'.join(o.get('traceback', [])))
        stats['errors'] += 1
        return f'<pre class="output error">{html.escape(tb or o.get("ename",""))}</pre>'
    data = o.get('data', {})
    j = lambda v: ''.join(v) if isinstance(v, list) else v
    if 'application/vnd.plotly.v1+json' in data:
        stats['plots'] += 1
        fig = data['application/vnd.plotly.v1+json']
        div = f'plot-{stats["page"]}-{stats["plots"]}'
        spec = json.dumps({'data': fig.get('data', []), 'layout': fig.get('layout', {}), 'config': {'responsive': True}})
        return (f'<div class="output plot"><div id="{div}" class="corea-plot" style="min-height:360px"></div>'
                f'<script>Plotly.newPlot("{div}", {spec}.data, {spec}.layout, {{"responsive": true}});</script></div>')
    if 'application/vnd.jupyter.widget-view+json' in data:
        return ('<div class="output widget callout"><b>Interactive widget.</b> Its sliders and selectors run in Jupyter '
                '(open this notebook, or `pip install anywidget` for live plotly figures); a static page cannot run them. '
                'The figures that follow show its state.</div>')
    if 'text/markdown' in data:
        md = j(data['text/markdown'])
        if _is_showdoc_md.match(md):
            stats['showdocs'].append(re.search(r'^#{2,4} (.+)$', md, re.M).group(1).strip())
            return f'<div class="output showdoc">{_md(md)}</div>'
        return f'<div class="output markdown">{_md(md)}</div>'
    if 'text/html' in data:
        h = j(data['text/html'])
        if 'window.PlotlyConfig' in h and 'Plotly.newPlot' not in h: return ''   # plotly.js loader of the notebook renderer
        return f'<div class="output html">{h}</div>'
    for mime in ('image/png', 'image/jpeg'):
        if mime in data: return f'<div class="output image"><img src="data:{mime};base64,{j(data[mime]).strip()}"></div>'
    if 'image/svg+xml' in data: return f'<div class="output image">{j(data["image/svg+xml"])}</div>'
    if 'text/plain' in data:
        txt = j(data['text/plain'])
        if txt.startswith('Figure({'): stats['bad_plots'] += 1
        return f'<pre class="output text">{html.escape(txt)}</pre>'
    return ''

def _frontmatter(nb: dict) -> tuple[dict, list]:
    import yaml
    cells = nb['cells']
    if cells and cells[0]['cell_type'] == 'raw':
        src = ''.join(cells[0]['source'])
        m = re.match(r'^---\n(.*?)\n---', src, re.S)
        if m: return (yaml.safe_load(m.group(1)) or {}), cells[1:]
    return {}, cells

def render_page(nb: dict, name: str, stats: dict) -> tuple[str, dict]:
    "Body HTML of one processed notebook, and its frontmatter."
    fm, cells = _frontmatter(nb)
    parts = []
    for c in cells:
        src = ''.join(c['source']) if isinstance(c['source'], list) else c['source']
        if c['cell_type'] == 'markdown':
            parts.append(f'<div class="cell markdown">{_md(src)}</div>')
        elif c['cell_type'] == 'code':
            d = directives(src)
            opts = {k.rstrip(':'): (v[0].lower() if v else '') for k, v in d.items()}
            if opts.get('include') == 'false': continue
            code = '\n'.join(l for l in src.splitlines() if not _re_dir.match(l)).strip()
            inner = ''
            if code and opts.get('echo') != 'false': inner += f'<div class="input">{_code(code)}</div>'
            if opts.get('output') != 'false':
                inner += ''.join(_out_html(o, stats) for o in c.get('outputs', []))
            if inner: parts.append(f'<div class="cell code">{inner}</div>')
        elif c['cell_type'] == 'raw':
            parts.append(f'<pre class="raw">{html.escape(src)}</pre>')
    return '\n'.join(parts), fm

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{plain_title} | corea</title><link rel="stylesheet" href="assets/site.css">{plotly}</head>
<body><header class="topbar"><a href="index.html" class="brand">corea</a><span class="tagline">{tagline}</span></header>
<div class="layout"><nav class="sidebar">{nav}</nav>
<main id="content"><h1 class="title">{title}</h1>{desc}{body}</main></div></body></html>
"""

CSS = """
:root { --fg:#212529; --muted:#6c757d; --accent:#2780e3; --bg-code:#f6f8fa; --border:#dee2e6; }
* { box-sizing: border-box; }
body { margin:0; font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color:var(--fg); line-height:1.55; }
.topbar { background:var(--accent); color:#fff; padding:.6rem 1.2rem; display:flex; gap:1rem; align-items:baseline; }
.topbar .brand { color:#fff; font-weight:700; font-size:1.25rem; text-decoration:none; }
.topbar .tagline { opacity:.9; font-size:.9rem; }
.layout { display:flex; align-items:flex-start; }
.sidebar { width:260px; flex:none; padding:1rem; border-right:1px solid var(--border); position:sticky; top:0; max-height:100vh; overflow:auto; font-size:.92rem; }
.sidebar h4 { margin:1rem 0 .3rem; color:var(--muted); font-size:.78rem; text-transform:uppercase; letter-spacing:.05em; }
.sidebar ul { list-style:none; padding:0; margin:0; }
.sidebar li a { display:block; padding:.2rem .4rem; border-radius:4px; color:var(--fg); text-decoration:none; }
.sidebar li a:hover { background:#eef4fc; }
.sidebar li a.active { background:var(--accent); color:#fff; }
main { flex:1; min-width:0; max-width:1000px; padding:1rem 2rem 4rem; }
h1.title { margin-bottom:.2rem; }
p.description { color:var(--muted); font-size:1.1rem; margin-top:0; }
a { color:var(--accent); }
.cell { margin:.8rem 0; }
.input .highlight { background:var(--bg-code); border-left:3px solid var(--accent); padding:.2rem .8rem; overflow-x:auto; }
.input pre { margin:.3rem 0; font-size:.86rem; }
pre { white-space:pre-wrap; word-break:break-word; }
pre.output { margin:.2rem 0; padding:.4rem .8rem; font-size:.84rem; border-left:3px solid var(--border); max-height:30em; overflow:auto; }
pre.output.error { background:#fff0f0; border-left-color:#d9534f; }
.output.html table, .cell.markdown table, .showdoc table { border-collapse:collapse; font-size:.86rem; margin:.5rem 0; }
.output.html th, .output.html td, .cell.markdown th, .cell.markdown td, .showdoc th, .showdoc td { border:1px solid var(--border); padding:.25rem .6rem; text-align:right; }
.showdoc td, .showdoc th, .cell.markdown td, .cell.markdown th { text-align:left; }
.output.html thead, .cell.markdown thead, .showdoc thead { background:#f1f3f5; }
.showdoc { border-top:2px solid var(--border); margin-top:1.2rem; padding-top:.3rem; }
.showdoc h3, .showdoc h4 { margin:.3rem 0; font-family: SFMono-Regular, Menlo, Consolas, monospace; }
.showdoc a[href*="blob"] { float:right; font-size:.8rem; }
.showdoc pre { background:var(--bg-code); padding:.5rem .8rem; font-size:.84rem; }
div.output.html { overflow-x:auto; }
.output.plot { border:1px solid var(--border); border-radius:4px; margin:.4rem 0; }
.callout { border-left:4px solid var(--accent); background:#f3f8fe; padding:.4rem 1rem; margin:1rem 0; }
.callout-warning { border-left-color:#f0ad4e; background:#fff8ec; }
code { background:var(--bg-code); padding:0 .2rem; border-radius:3px; font-size:.88em; }
pre code { background:none; padding:0; }
img { max-width:100%; }
.math { font-family: 'Cambria Math', 'STIX Two Math', Georgia, serif; font-style: italic; }
div.math { text-align:center; margin:.6rem 0; }
a.anchor-link { visibility:hidden; text-decoration:none; margin-left:.3rem; font-size:.8em; }
h1:hover a.anchor-link, h2:hover a.anchor-link, h3:hover a.anchor-link, h4:hover a.anchor-link { visibility:visible; }
.showdoc > hr { display:none; }
"""

def _section(name: str) -> str | None:
    if name == 'index': return None
    for sec, rx in SECTIONS:
        if rx.match(name): return sec
    return 'Other'

def _nav(pages: list, current: str) -> str:
    out = ['<ul><li><a href="index.html"{}>Home</a></li></ul>'.format(' class="active"' if current == 'index' else '')]
    for sec, _ in SECTIONS + [('Other', None)]:
        items = [p for p in pages if _section(p['name']) == sec]
        if not items: continue
        out.append(f'<h4>{sec}</h4><ul>')
        for p in items:
            act = ' class="active"' if p['name'] == current else ''
            out.append(f'<li><a href="{p["file"]}"{act}>{html.escape(p["title"].replace("`", ""))}</a></li>')
        out.append('</ul>')
    return '\n'.join(out)

def _exports(nb_path: Path) -> list[str]:
    "Names a module notebook exports (its `__all__` in the library), for the manifest."
    src = nb_path.read_text()
    m = re.search(r'#\|\s*default_exp\s+(\w[\w.]*)', src)
    if not m: return []
    mod = ROOT/'corea'/(m.group(1).replace('.', '/') + '.py')
    if not mod.exists(): return []
    a = re.search(r'^__all__\s*=\s*\[(.*?)\]', mod.read_text(), re.S | re.M)
    return re.findall(r"'([^']+)'", a.group(1)) if a else []

def skip_flags(slow: bool) -> set:
    "The test flags whose cells are not executed: as nbdev_test, with `slow` on request and `data` when data is there."
    from data_cells import data_folder
    return {'notest', 'gpu'} | (set() if slow else {'slow'}) | (set() if data_folder() else {'data'})

def exec_inplace(nbs_dir: Path, only: list[str] | None, slow: bool, keep_going: bool) -> int:
    "Execute the notebooks and save their outputs in place, so that quarto (`nbdev_docs`) renders them with outputs."
    nbs = sorted(p for p in nbs_dir.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    if only: nbs = [p for p in nbs if p.stem in only or p.stem.split('_')[0] in only]
    skip = skip_flags(slow)
    errors = []
    for p in nbs:
        t = time.time()
        with tempfile.TemporaryDirectory() as tmp:
            err = execute_nb(p, Path(tmp)/p.name, skip)
            shutil.copy2(Path(tmp)/p.name, p)
        if err: errors.append(p.stem); print(err, file=sys.stderr)
        print(f'executed {p.name} in place in {time.time()-t:.1f}s{"  FAILED" if err else ""}')
    if errors: print(f'{len(errors)} notebook(s) failed: {", ".join(errors)}', file=sys.stderr)
    return 1 if errors and not keep_going else 0

def build(out: Path, only: list[str] | None, do_exec: bool, slow: bool, keep_going: bool, nbs_dir: Path = NBS) -> int:
    t0 = time.time()
    nbs = sorted(p for p in nbs_dir.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    if only: nbs = [p for p in nbs if p.stem in only or p.stem.split('_')[0] in only]
    if not nbs: print('no notebooks selected', file=sys.stderr); return 1
    errors = {}
    with tempfile.TemporaryDirectory(prefix='corea_docs_') as tmp:
        tmp = Path(tmp)
        for f in nbs_dir.iterdir():
            if f.suffix != '.ipynb' and f.is_file() and f.name != 'sidebar.yml': shutil.copy2(f, tmp/f.name)
        skip = skip_flags(slow)
        for p in nbs:
            t = time.time()
            if do_exec:
                err = execute_nb(p, tmp/p.name, skip)
                if err: errors[p.stem] = err; print(err, file=sys.stderr)
            else: shutil.copy2(p, tmp/p.name)
            print(f'{"executed" if do_exec else "copied"} {p.name} in {time.time()-t:.1f}s{"  FAILED" if p.stem in errors else ""}')
        proc = tmp/'_proc'; proc.mkdir()
        proc_errors = {}
        for p in nbs:
            err = process(tmp/p.name, proc/p.name)
            if err: proc_errors[p.stem] = err; print(err, file=sys.stderr)
        out.mkdir(parents=True, exist_ok=True)
        (out/'assets').mkdir(exist_ok=True)
        import plotly
        shutil.copy2(Path(plotly.__file__).parent/'package_data'/'plotly.min.js', out/'assets'/'plotly.min.js')
        from pygments.formatters import HtmlFormatter
        (out/'assets'/'site.css').write_text(CSS + HtmlFormatter().get_style_defs('.highlight'))
        if (nbs_dir/'styles.css').exists(): (out/'assets'/'site.css').open('a').write('\n' + (nbs_dir/'styles.css').read_text())
        pages, bodies = [], {}
        for p in nbs:
            nb = json.loads((proc/p.name).read_text())
            stats = {'page': p.stem.split('_')[0], 'plots': 0, 'bad_plots': 0, 'errors': 0, 'showdocs': []}
            body, fm = render_page(nb, p.stem, stats)
            title = str(fm.get('title') or p.stem)
            pages.append({'name': p.stem, 'file': re.sub(r'^\d+_', '', p.stem) + '.html', 'title': title, 'description': str(fm.get('description') or ''),
                          'plots': stats['plots'], 'bad_plots': stats['bad_plots'], 'error_outputs': stats['errors'],
                          'showdocs': stats['showdocs'], 'exports': _exports(p), 'exec_error': p.stem in errors,
                          'proc_error': proc_errors.get(p.stem)})
            bodies[p.stem] = body
    names = {pg['file'] for pg in pages}
    tagline = 'Confidence-calibrated small-large language model cascades'
    for pg in pages:
        body = _local_links(bodies[pg['name']], names)
        inline = lambda t: re.sub(r'^<p>|</p>\s*$', '', _md(t).strip())
        desc = f'<p class="description">{inline(pg["description"])}</p>' if pg['description'] else ''
        plotly_tag = '<script src="assets/plotly.min.js"></script>' if pg['plots'] else ''
        (out/pg['file']).write_text(PAGE.format(title=inline(pg['title']), tagline=tagline, nav=_nav(pages, pg['name']), plain_title=html.escape(pg['title'].replace('`', '')),
                                                desc=desc, body=body, plotly=plotly_tag))
    (out/'manifest.json').write_text(json.dumps({'pages': pages, 'partial': bool(only), 'built_s': round(time.time()-t0, 1)}, indent=1))
    print(f'wrote {len(pages)} pages to {out} in {time.time()-t0:.0f}s; open {out/"index.html"}')
    if errors: print(f'{len(errors)} notebook(s) failed to execute: {", ".join(errors)}', file=sys.stderr)
    if proc_errors: print(f'{len(proc_errors)} notebook(s) failed nbdev\'s show_doc processing (nbdev_docs would fail too): '
                          f'{", ".join(proc_errors)}', file=sys.stderr)
    return 1 if (errors or proc_errors) and not keep_going else 0

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(ROOT/'_site'), help='output folder (default: _site, git-ignored)')
    ap.add_argument('--only', default='', help='comma-separated notebook names or number prefixes, e.g. index,11_widgets,30')
    ap.add_argument('--no-exec', action='store_true', help='render the outputs saved in the notebooks instead of executing them')
    ap.add_argument('--slow', action='store_true', help='also run cells flagged #| slow')
    ap.add_argument('--nbs', default=str(NBS), help='notebook folder (default: nbs)')
    ap.add_argument('--exec-inplace', action='store_true',
                    help='only execute the notebooks and write their outputs back into nbs/ (for CI before nbdev_docs; do not commit them)')
    ap.add_argument('--keep-going', action='store_true', help='exit 0 even when a notebook fails to execute')
    a = ap.parse_args()
    if a.exec_inplace: sys.exit(exec_inplace(Path(a.nbs), [s for s in a.only.split(',') if s] or None, a.slow, a.keep_going))
    sys.exit(build(Path(a.out), [s for s in a.only.split(',') if s] or None, not a.no_exec, a.slow, a.keep_going, Path(a.nbs)))
