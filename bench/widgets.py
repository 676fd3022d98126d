#!/usr/bin/env python3
"""Benchmark: how long the threshold explorer takes to redraw when the slider moves (budget: 50 ms).

Workload: 10 SLMs x 2 confidence sources (verbalized, geometric AvgProb) = 20 systems x 6 datasets x 10 runs,
500 questions per dataset (a SYNTHETIC cache from
`corea.widgets.synthetic_cache`: the redraw cost depends on the number of systems and grid points, not on what the
models said). Times: building the explorer (pairing + every curve of the first dataset), a slider move (median and
max over a sweep of 111 positions, live `FigureWidget`s when anywidget is installed), a dataset switch (first and
cached), a cost-parameter change. The baseline is a full rebuild of the three figures at each slider position, measured
in the same run.
Usage: python bench/widgets.py [--questions 500]   -> bench/results/widgets.md
"""
import argparse, os, platform, statistics, time
from pathlib import Path
import numpy as np
import plotly.graph_objects as go
from corea.tables import systems_table
from corea.widgets import synthetic_cache, ThresholdExplorer, pareto_figure, threshold_figure, reliability_figure, table_html

ROOT = Path(__file__).resolve().parents[1]

def timed(f):
    t = time.perf_counter(); f(); return time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--questions', type=int, default=500); a = ap.parse_args()
    load0 = os.getloadavg()
    datasets = tuple(f'synthetic-{i}' for i in range(6))
    t = time.perf_counter()
    cache = synthetic_cache(n_questions=a.questions, n_runs=10, datasets=datasets, n_systems=10, seed=0)
    t_cache = time.perf_counter() - t
    t = time.perf_counter()
    ex = ThresholdExplorer(cache, llm='synthetic-llm')
    t_build = time.perf_counter() - t
    live = type(ex.fig_pareto).__name__
    positions = [round(float(x), 2) for x in ex.grid]
    ex.slider.value = 0.5
    moves = [timed(lambda p=p: setattr(ex.slider, 'value', p)) for p in positions if p != 0.5]
    t_first_switch = timed(lambda: setattr(ex.dataset, 'value', datasets[1]))
    ex.dataset.value = datasets[0]
    t_cached_switch = timed(lambda: setattr(ex.dataset, 'value', datasets[1]))
    t_cost = timed(lambda: setattr(ex.param_ratio, 'value', 10.0))
    c = ex.curves(); pv = ex._view_pairs()
    rebuild = [timed(lambda p=p: (go.FigureWidget(pareto_figure(c, p)) if live == 'FigureWidget' else pareto_figure(c, p),
                                  threshold_figure(c, p), reliability_figure(pv),
                                  table_html(systems_table(ex._dataset_pairs(), threshold=p, n_boot=0))))
               for p in positions[::10]]
    med, mx = statistics.median(moves), max(moves)
    ok = 'within' if mx <= 0.050 else 'OVER'
    lines = [
        '## Threshold explorer redraw (`corea.widgets`)', '',
        f'Command: `python bench/widgets.py --questions {a.questions}`. Workload: 10 SLMs x 2 confidence sources = '
        f'{ex.pairs.system.nunique()} systems x 6 datasets x 10 runs x {a.questions} '
        f'questions ({len(cache):,} cache rows, synthetic), threshold grid of {len(positions)} points, figures: `{live}`. '
        f'Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, '
        f'plotly {go.__dict__.get("__version__", __import__("plotly").__version__)}'
        + (f', anywidget {__import__("anywidget").__version__}' if live == 'FigureWidget' else '')
        + f'; load average {load0[0]:.2f} before the run, {os.getloadavg()[0]:.2f} after (1 min; a shared machine).', '',
        '| step | time |', '|---|---|',
        f'| synthetic cache ({len(cache):,} rows) | {t_cache:.2f} s |',
        f'| build explorer (pair + curves of the first dataset + figures) | {t_build:.2f} s |',
        f'| **slider move, median of {len(moves)}** | **{1000 * med:.1f} ms** |',
        f'| slider move, 95th percentile | {1000 * sorted(moves)[int(0.95 * len(moves))]:.1f} ms |',
        f'| slider move, max | {1000 * mx:.1f} ms |',
        f'| baseline: rebuild the figures and table instead, median of {len(rebuild)} | {1000 * statistics.median(rebuild):.1f} ms |',
        f'| dataset switch, first time (computes its curves) | {1000 * t_first_switch:.0f} ms |',
        f'| dataset switch, curves cached | {1000 * t_cached_switch:.0f} ms |',
        f'| cost parameter change (recompute curves, redraw) | {1000 * t_cost:.0f} ms |', '',
        f'Slider moves are {ok} the 50 ms budget (max {1000 * mx:.1f} ms) and {statistics.median(rebuild) / med:.0f}x faster '
        'than rebuilding the figures, because every curve is precomputed and a move only sets the markers, the three '
        'threshold lines and the table (`corea.tables.systems_table` on arrays prepared once per dataset and prices).', '']
    out = ROOT/'bench'/'results'/'widgets.md'
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text('\n'.join(lines))
    print('\n'.join(lines)); print(f'wrote {out}')

if __name__ == '__main__': main()
