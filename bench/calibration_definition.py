#!/usr/bin/env python3
"""One definition of ECE and AUROC (issue 21, item 5): what each of its two changes does to the shipped evaluation.

Table 2 used to average per-run values and drop answers without a confidence; the stage log pooled the runs. Now
every place pools the (question, run) answers and scores a missing confidence as 0 (`corea.metrics.MISSING`), as the
cascade does. This splits the change in `corea table`'s calibration columns on the embedded cache into its two
steps, per verbalized system and dataset: mean of runs, missing dropped (the old Table 2) -> pooled, missing dropped
-> pooled, missing = 0 (now), beside the coverage (the share of answers with a confidence).

Run: PYTHONPATH=. nice -n 10 python bench/calibration_definition.py   # -> bench/results/calibration_definition.md
"""
import json, os, time
from pathlib import Path
import numpy as np
import pandas as pd
from corea.cache import default_cache_path, read_cache
from corea.metrics import auroc, ece
from corea.reproduce import paper_pairs

OUT = Path(__file__).resolve().parents[1]/'bench'/'results'/'calibration_definition.md'

def per_run_mean(f, h: pd.DataFrame) -> float:
    "The old Table 2: the metric of each run with missing confidences dropped, averaged over runs (NaN runs skipped)."
    v = [f(r.confidence, r.slm_correct, missing='exclude') for _, r in h.groupby('run')]
    return float(np.nanmean(v)) if not np.isnan(v).all() else np.nan

def steps(pairs: pd.DataFrame) -> pd.DataFrame:
    "Per (dataset, verbalized system): ECE and AUROC under the old, the intermediate and the current definition."
    out = []
    for (d, s), h in pairs[pairs.system.str.contains('Verb')].groupby(['dataset', 'system'], sort=False):
        c, y = h.confidence, h.slm_correct
        out.append(dict(dataset=d, system=s, coverage=c.notna().mean(), ece_old=per_run_mean(ece, h),
                        ece_pooled=ece(c, y, missing='exclude'), ece_now=ece(c, y), auroc_old=per_run_mean(auroc, h),
                        auroc_pooled=auroc(c, y, missing='exclude'), auroc_now=auroc(c, y),
                        wrong_without=(c.isna() & ~y).sum() / c.isna().sum() if c.isna().any() else np.nan))
    return pd.DataFrame(out)

def main():
    t0, load0 = time.time(), os.getloadavg()[0]
    path = default_cache_path()
    man = json.loads((path/'manifest.json').read_text())
    t = steps(paper_pairs(read_cache(path), man['roles']['llm']['model'], man['slms']))
    f3 = lambda v: 'n/a' if np.isnan(v) else f'{v:.3f}'
    pct = lambda v: '-' if np.isnan(v) else f'{100 * v:.0f}%'
    ind, ood = t[t.dataset == t.dataset.iloc[0]], t[t.dataset != t.dataset.iloc[0]]
    big = t.loc[(t.ece_now - t.ece_pooled).abs().idxmax()]
    rows = [f'| {r.dataset} | {r.system} | {100 * r.coverage:.1f}% | {pct(r.wrong_without)} | {f3(r.ece_old)} | '
            f'{f3(r.ece_pooled)} | {f3(r.ece_now)} | {f3(r.auroc_old)} | {f3(r.auroc_pooled)} | {f3(r.auroc_now)} |'
            for r in t.itertuples()]
    text = ['## One definition of ECE and AUROC: the two steps on the shipped evaluation (issue 21)', '',
            'Command: `PYTHONPATH=. nice -n 10 python bench/calibration_definition.py`; the embedded cache '
            f'(`corea/assets/default_cache`, 3 runs per question); {time.time() - t0:.1f} s, load average {load0:.1f}. '
            'old = mean over runs of per-run values, answers without a confidence dropped (Table 2 before); pooled = '
            'all (question, run) answers at once, still dropped (the stage log before); now = pooled, a missing '
            'confidence scored as 0 (every table, log and report now). "wrong" = the share of answers without a '
            'confidence that are wrong.', '',
            '| dataset | system | coverage | wrong among those without | ECE old | ECE pooled | ECE now | AUROC old | '
            'AUROC pooled | AUROC now |', '|---|---|---|---|---|---|---|---|---|---|', *rows, '',
            f'In-domain ({ind.dataset.iloc[0]}) every system states a confidence in >= {100 * ind.coverage.min():.1f}% '
            f'of its answers, and the two steps move ECE by at most {(ind.ece_now - ind.ece_old).abs().max():.3f}. '
            f'Out of domain the coverage is {100 * ood.coverage.min():.0f}-{100 * ood.coverage.max():.0f}%, and '
            f'{100 * np.nanmin(ood.wrong_without):.0f}-{100 * np.nanmax(ood.wrong_without):.0f}% of the answers without '
            'a confidence are wrong: scored 0, each is near-perfectly calibrated, so ECE falls (most: '
            f'{big.dataset} {big.system}, {big.ece_pooled:.3f} -> {big.ece_now:.3f}), and AUROC ranks them at the bottom, '
            'with any stated 0. Dropping them had hidden that the silent answers were the wrong ones; the coverage '
            'stays beside ECE and AUROC so that a low ECE earned by saying nothing stays visible.']
    OUT.write_text('\n'.join(text) + '\n')
    print(OUT.read_text())

if __name__ == '__main__': main()
