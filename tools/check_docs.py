#!/usr/bin/env python3
"""Open every page of the offline docs site in headless Chromium, take screenshots, and fail on broken pages.

A page fails when: it has no title or no one-line description (nbdev frontmatter); a link to another page of the site is broken; its main text is (nearly) empty; a plot the build recorded did not draw (no plotly SVG inside its
div after the page's scripts ran); a figure was rendered as text (`Figure({...`); a `show_doc` entry has a pipe table
that did not become an HTML table, or an exported name of the page's module has no `show_doc` entry; a notebook failed
to execute (error output on the page) unless --allow-errors.
Screenshots go to `<site>/_screenshots/<page>.png` (top of the page) and `<page>-plot.png` (the first plot, if any):
look at them.

`--report FILE` checks one HTML report of `corea demo` / `corea.widgets.write_report` instead: every figure drew, no
figure's title, axis title, subplot title or legend is covered (by the plotly toolbar or by each other) or falls
outside its canvas, every table has a caption, the page is not blank; screenshots `report.png` (top) and
`report-plot.png` (the first figure) go to --shots (default: beside the report).

Needs Debian's chromium: `apt-get update && apt-get install -y chromium`.
Usage: python tools/check_docs.py [--site _site] [--only 11_widgets,index] [--allow-errors] [--no-screenshots]
       python tools/check_docs.py --report corea-report.html [--shots DIR]
"""
import argparse, json, re, shutil, subprocess, sys, tempfile
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--mute-audio', '--disable-extensions']

def find_chromium() -> str:
    for name in ('chromium', 'chromium-browser', 'google-chrome', 'chrome'):
        if p := shutil.which(name): return p
    sys.exit('check_docs: chromium not found: install it with `apt-get update && apt-get install -y chromium`')

def chromium(exe: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    "Run headless chromium once with a fresh profile."
    with tempfile.TemporaryDirectory(prefix='corea_chrome_') as prof:
        return subprocess.run([exe, *FLAGS, f'--user-data-dir={prof}', *args], capture_output=True, text=True, timeout=timeout)

class _DomStats(HTMLParser):
    "Count what the rendered DOM shows: main text, plot divs with an SVG, show_doc blocks with their tables."
    def __init__(self):
        super().__init__()
        self.stack, self.main_text, self.plots, self.showdocs, self.links = [], [], [], [], []
        self.in_main = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); cls = (a.get('class') or '').split()
        if tag in ('br', 'img', 'meta', 'link', 'input', 'hr', 'path', 'rect', 'line', 'circle', 'stop', 'use'): 
            if tag == 'path' or tag == 'rect': self._mark_svg()
            return
        ctx = {'tag': tag, 'cls': cls}
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'main': self.in_main += 1
        if 'corea-plot' in cls: ctx['plot'] = {'id': a.get('id'), 'svg': False}; self.plots.append(ctx['plot'])
        if 'showdoc' in cls: ctx['sd'] = {'heading': None, 'tables': 0, 'text': []}; self.showdocs.append(ctx['sd'])
        if tag == 'svg' and 'main-svg' in cls: self._mark_svg()
        if tag == 'table': 
            for c in self.stack:
                if 'sd' in c: c['sd']['tables'] += 1
        self.stack.append(ctx)
    def _mark_svg(self):
        for c in self.stack:
            if 'plot' in c: c['plot']['svg'] = True
    def handle_endtag(self, tag):
        while self.stack:
            c = self.stack.pop()
            if c['tag'] == 'main': self.in_main -= 1
            if c['tag'] == tag: break
    def handle_data(self, data):
        if self.stack and self.stack[-1]['tag'] in ('script', 'style'): return
        if self.in_main: self.main_text.append(data)
        for c in self.stack:
            if 'sd' in c:
                c['sd']['text'].append(data)
                if c is not self.stack[-1] and self.stack[-1]['tag'] in ('h2', 'h3', 'h4') and c['sd']['heading'] is None:
                    c['sd']['heading'] = data.strip()

def _site_url() -> str | None:
    "The published docs address (settings.ini doc_host + doc_baseurl), e.g. https://corea-dev.github.io/corea/."
    try:
        from nbdev.config import get_config
        cfg = get_config()
        return cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/') + '/'
    except Exception: return None

def png_ink(path: Path) -> float:
    "Share of the decompressed PNG bytes that are neither 0 nor 255: about 0 for a blank (one-colour) screenshot."
    import struct, zlib
    if not path.exists(): return 0.0
    b = path.read_bytes(); i, idat = 8, b''
    while i < len(b):
        n, typ = struct.unpack('>I4s', b[i:i + 8])
        if typ == b'IDAT': idat += b[i + 8:i + 8 + n]
        i += 12 + n
    raw = zlib.decompress(idat)
    return sum(1 for x in raw[::7] if x not in (0, 255)) / max(1, len(raw[::7]))

_pipe_row = re.compile(r'^\s*\|.*\|\s*$', re.M)
_pipe_rule = re.compile(r'^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*(?::?-{3,}:?)?\s*$', re.M)   # a table's rule line, | --- | :--: |

def check_page(exe: str, site: Path, page: dict, shots: Path | None, allow_errors: bool, partial: bool = False) -> list[str]:
    "Problems found on one page (empty list: the page is fine)."
    url = (site/page['file']).resolve().as_uri()
    r = chromium(exe, '--virtual-time-budget=15000', '--run-all-compositor-stages-before-draw', '--dump-dom', url)
    if r.returncode != 0 or '<main' not in r.stdout:
        return [f'chromium could not render the page (exit {r.returncode}): {r.stderr.strip()[-300:]}']
    d = _DomStats(); d.feed(r.stdout)
    probs = []
    if page['title'] in (page['name'], '') or page['title'].startswith('Untitled'):
        probs.append('no title: start the notebook with a markdown cell "# Title" (nbdev frontmatter)')
    if not page.get('description'):
        probs.append('no description: put a "> one-line summary" under the title (nbdev frontmatter)')
    nav = re.search(r'<nav class="sidebar">(.*?)</nav>', r.stdout, re.S)
    sections = re.findall(r'<h4>(.*?)</h4>', nav.group(1)) if nav else []
    if 'Tutorials' in sections and sections[0] != 'Tutorials': probs.append(f'the sidebar does not start with the tutorials: {sections}')
    text = ' '.join(' '.join(d.main_text).split())
    if len(text) < 200: probs.append(f'page is (nearly) empty: {len(text)} characters of text')
    if len(d.plots) != page['plots']: probs.append(f"{page['plots']} plot(s) built but {len(d.plots)} plot div(s) in the page")
    for p in d.plots:
        if not p['svg']: probs.append(f"plot {p['id']} did not draw (no plotly SVG after the scripts ran)")
    if page.get('bad_plots'): probs.append(f"{page['bad_plots']} figure(s) rendered as text (plotly renderer missing)")
    if 'Figure({' in text: probs.append('a figure was printed as text (Figure({...)')
    for sd in d.showdocs:
        body = ''.join(sd['text'])
        if _pipe_rule.search(body) or len(_pipe_row.findall(body)) >= 2:
            probs.append(f"show_doc of {sd['heading']}: a pipe table did not render as a table")
    shown = {(sd['heading'] or '').split('.')[-1] for sd in d.showdocs}
    missing = [n for n in page.get('exports', []) if n not in shown and not n.isupper()]
    if missing: probs.append(f"no show_doc for exported {', '.join(missing)}")
    base = None if partial else _site_url()          # a partial build (--only) lacks the other pages by design
    for href in sorted(set(d.links)):
        target = href.split('#')[0]
        if target and not re.match(r'^[a-z]+:', target) and not (site/target).exists():
            probs.append(f'broken link to {href}')
        elif base and target.startswith(base) and target != base and not target.endswith('.ipynb'):
            probs.append(f'link to a page of the published site that this build does not have: {href}')   # build_docs makes existing ones local
    if page.get('proc_error'):
        probs.append("nbdev's docs processing failed, so nbdev_docs (quarto) would fail on this notebook too: "
                     f"{page['proc_error'].split(';')[0]}. Its exec_show_docs step runs only import/export cells: keep "
                     "imports in cells of their own, and do not let those cells need variables from other cells")
    if (page.get('exec_error') or page.get('error_outputs')) and not allow_errors:
        probs.append('the notebook raised an error while the docs were built (see the red output on the page)')
    if shots is not None:
        png = shots/f"{page['name']}.png"
        chromium(exe, '--virtual-time-budget=15000', '--window-size=1280,1600', f'--screenshot={png}', url)
        if png_ink(png) < 0.002: probs.append('the screenshot is blank')
        if d.plots:   # a second shot with the first plot at the top: the page in an iframe, scrolled by script
            plot_png = shots/f"{page['name']}-plot.png"
            wrap = shots/'_wrap.html'
            wrap.write_text(f'<html><body style="margin:0"><iframe id="f" src="{url}" style="border:0;width:1280px;height:1100px">'
                            f'</iframe><script>document.getElementById("f").onload = () => {{ const w = document.getElementById("f")'
                            f'.contentWindow; w.document.getElementById("{d.plots[0]["id"]}").scrollIntoView(); }};</script></body></html>')
            chromium(exe, '--virtual-time-budget=15000', '--allow-file-access-from-files', '--window-size=1280,1100',
                     f'--screenshot={plot_png}', wrap.resolve().as_uri())
            wrap.unlink()
            if png_ink(plot_png) < 0.002: probs.append('the screenshot of the first plot is blank')
    return probs

_MEASURE = """<script>window.addEventListener('load', () => setTimeout(() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const seen = e => e && e.getBoundingClientRect().width > 0 && getComputedStyle(e).display !== 'none'
                    && getComputedStyle(e).visibility !== 'hidden';
  const figs = [...document.querySelectorAll('.plotly-graph-div')].map(div => {
    const texts = [...div.querySelectorAll('text.gtitle, text[class$="title"], g.annotation, g.legend')].filter(seen);
    return {id: div.id, canvas: box(div), svg: !!div.querySelector('svg.main-svg'),
            modebar: [...div.querySelectorAll('.modebar-group')].filter(seen).map(box),
            parts: texts.map(e => ({what: e.getAttribute('class') + (e.textContent ? ': ' + e.textContent.slice(0, 40)
                                                                                    : ''), box: box(e)}))};
  });
  const tables = [...document.querySelectorAll('table')].map(t => !!t.querySelector('caption'));
  const out = document.createElement('pre');
  out.id = 'corea-check';
  out.textContent = JSON.stringify({figs, tables, text: document.body.innerText.length});
  document.body.appendChild(out);
}, 500));</script>"""

def _overlap(a: list, b: list, slack: float = 1) -> bool:
    return a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack

def _inside(a: list, canvas: list, slack: float = 1) -> bool:
    return (a[0] >= canvas[0] - slack and a[1] >= canvas[1] - slack
            and a[2] <= canvas[2] + slack and a[3] <= canvas[3] + slack)

def figure_problems(fig: dict) -> list[str]:
    "What covers what in one measured figure: the toolbar over a title, titles and legend over each other or off it."
    probs = [] if fig['svg'] else [f"figure {fig['id']} did not draw"]
    for p in fig['parts']:
        if not _inside(p['box'], fig['canvas']):
            probs.append(f"figure {fig['id']}: {p['what']} is cut off (outside the canvas)")
        probs += [f"figure {fig['id']}: the toolbar covers {p['what']}" for m in fig['modebar']
                  if _overlap(m, p['box'])]
    parts = fig['parts']
    for i, a in enumerate(parts):
        probs += [f"figure {fig['id']}: {a['what']} overlaps {b['what']}" for b in parts[i + 1:]
                  if _overlap(a['box'], b['box'])]
    return list(dict.fromkeys(probs))

def check_report(exe: str, report: Path, shots: Path) -> list[str]:
    "Problems of one HTML report seen in Chromium (none: fine); screenshots report.png and report-plot.png in `shots`."
    shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='corea_report_') as d:
        page = Path(d)/'report.html'
        page.write_text(report.read_text(encoding='utf-8').replace('</body>', _MEASURE + '</body>'), encoding='utf-8')
        r = chromium(exe, '--virtual-time-budget=20000', '--window-size=1280,1600', '--dump-dom', page.as_uri(),
                     timeout=180)
    m = re.search(r'<pre id="corea-check">(.*?)</pre>', r.stdout, re.S)
    if not m: return [f'chromium did not run the report (exit {r.returncode}): {r.stderr.strip()[-300:]}']
    import html as _html
    got = json.loads(_html.unescape(m.group(1)))
    probs = [] if got['figs'] else ['the report has no figure']
    for f in got['figs']: probs += figure_problems(f)
    if not all(got['tables']): probs.append(f"{got['tables'].count(False)} table(s) without a caption (which dataset?)")
    if got['text'] < 500: probs.append(f"the page is (nearly) empty: {got['text']} characters of text")
    url = report.resolve().as_uri()
    chromium(exe, '--virtual-time-budget=20000', '--window-size=1280,1600', f'--screenshot={shots/"report.png"}', url,
             timeout=180)
    if png_ink(shots/'report.png') < 0.002: probs.append('the screenshot of the report is blank')
    if got['figs']:       # the first figure at the top: the report in an iframe, scrolled by script
        wrap = shots/'_wrap.html'
        first = got['figs'][0]['id']
        wrap.write_text(f'<html><body style="margin:0"><iframe id="f" src="{url}" style="border:0;width:1280px;'
                        f'height:1000px"></iframe><script>document.getElementById("f").onload = () => document'
                        f'.getElementById("f").contentWindow.document.getElementById("{first}").scrollIntoView();'
                        '</script></body></html>')
        chromium(exe, '--virtual-time-budget=20000', '--allow-file-access-from-files', '--window-size=1280,1000',
                 f'--screenshot={shots/"report-plot.png"}', wrap.resolve().as_uri(), timeout=180)
        wrap.unlink()
        if png_ink(shots/'report-plot.png') < 0.002: probs.append('the screenshot of the first figure is blank')
    return probs

def main_report(path: str, shots: str | None) -> int:
    "Check one report; print ok or FAIL with its problems."
    report = Path(path)
    if not report.is_file(): sys.exit(f'check_docs: {report}: no such file: write one with `corea demo --out {report}`')
    shots = Path(shots) if shots else report.resolve().parent
    probs = check_report(find_chromium(), report, shots)
    print(f"{'ok  ' if not probs else 'FAIL'} {report}: screenshots {shots/'report.png'}, {shots/'report-plot.png'}")
    for pr in probs: print(f'     - {pr}')
    return 1 if probs else 0

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--site', default=str(ROOT/'_site'), help='the folder tools/build_docs.py wrote (default: _site)')
    ap.add_argument('--only', default='', help='comma-separated page names (e.g. index,11_widgets)')
    ap.add_argument('--allow-errors', action='store_true', help='do not fail pages whose notebook raised while building')
    ap.add_argument('--no-screenshots', action='store_true')
    ap.add_argument('--report', help='check this HTML report (corea demo --out FILE) instead of the site')
    ap.add_argument('--shots', help='with --report: folder for the screenshots (default: beside the report)')
    a = ap.parse_args(argv)
    if a.report: return main_report(a.report, a.shots)
    site = Path(a.site)
    if not (site/'manifest.json').exists(): sys.exit(f'check_docs: {site}/manifest.json not found: run python tools/build_docs.py first')
    manifest = json.loads((site/'manifest.json').read_text())
    pages, partial = manifest['pages'], manifest.get('partial', False)
    only = [s for s in a.only.split(',') if s]
    if only: pages = [p for p in pages if p['name'] in only or p['name'].split('_')[0] in only]
    exe = find_chromium()
    shots = None if a.no_screenshots else site/'_screenshots'
    if shots: shots.mkdir(exist_ok=True)
    bad = 0
    for p in pages:
        probs = check_page(exe, site, p, shots, a.allow_errors, partial)
        status = 'ok  ' if not probs else 'FAIL'
        print(f"{status} {p['file']}: {p['plots']} plot(s), {len(p['showdocs'])} show_doc(s)")
        for pr in probs: print(f'     - {pr}')
        bad += bool(probs)
    print(f'{len(pages) - bad} page(s) ok, {bad} failed' + (f'; screenshots in {shots}' if shots else ''))
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
