#!/usr/bin/env python3
"""Start a `corea reproduce` run from another run's finished stages that do not depend on the RL settings.

miniature3 (issue 21) changes only the shape of a GRPO step; its data, format warm-up and screen are miniature2's, with
the same settings. Recomputing them costs about 1.5 hours of this CPU, so this script copies them instead, after
checking that the two runs' settings agree on everything except the keys below, which only stages after the screen read:

  python bench/seed_run.py experiments/miniature2 experiments/miniature3   # the target must not hold stages yet

It copies the splits (data/), the warm-up's and the screen's answer caches, the checks, the format warm-up's adapter
(models/base), the warm-up trainer's folder (git-ignored) and the base SLM's evaluation answers (caches/eval/base: the
same model on the same questions with the same sampling; the eval stage resumes from them and answers what is missing),
the LLM's answers (caches/llm, when the source has them: a real LLM does not depend on the RL arms; miniature3's were
copied by hand once miniature2's llm stage had finished, after the seeding), and the four stages' ledger entries, each marked with where it came from. Nothing is copied for a stage the source has
not finished. Elsewhere than in this repository those stages simply run.
"""
import json, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ('data', 'warmup_answers', 'warmup', 'screen')
PATHS = ('data', 'caches/warmup', 'caches/checks', 'caches/screen', 'caches/eval/base', 'caches/llm', 'models/base',
         'warmup')
LATER_ONLY = {'name', 'output_dir', 'rl', 'arms', 'rl_launcher', 'llm_k', 'baseline_questions', 'router_k', 'router_sft',
              'param_ratios', 'n_boot'}

def settings(run_dir: Path, config: str) -> dict:
    from corea.reproduce import _settings, load_config
    return _settings(load_config(config, [f'output_dir={run_dir}']))

def main(src: Path, dst: Path, config: str):
    from corea.reproduce import prepare_run, load_config, read_ledger, record_stage
    have = json.loads((src/'config.json').read_text())
    want = settings(dst, config)
    if diff := sorted(k for k in (set(have) | set(want)) - LATER_ONLY if have.get(k) != want.get(k)):
        sys.exit(f'seed_run: {src} and {config} differ in {diff}, which the copied stages read: run them instead.')
    if read_ledger(dst):
        sys.exit(f'seed_run: {dst} already holds finished stages ({", ".join(read_ledger(dst))}): nothing copied.')
    ledger = read_ledger(src)
    if missing := [s for s in STAGES if s not in ledger]:
        sys.exit(f'seed_run: {src} has not finished {missing}: finish them there first.')
    prepare_run(load_config(config, [f'output_dir={dst}']))
    for p in PATHS:
        if (src/p).exists():
            shutil.copytree(src/p, dst/p, dirs_exist_ok=True, ignore=shutil.ignore_patterns('checkpoint-*', '.lock'))
            print(f'seed_run: copied {src/p} -> {dst/p}')
    for s in STAGES:
        record_stage(dst, s, {**ledger[s], 'copied_from': str(src.relative_to(ROOT) if src.is_absolute() else src)})
    print(f'seed_run: {dst} holds {", ".join(STAGES)} from {src}; resume it with corea reproduce --config {config}')

if __name__ == '__main__':
    if len(sys.argv) != 3: sys.exit(__doc__)
    src, dst = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    main(src, dst, dst.name + '.yaml')
