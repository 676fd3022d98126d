#!/usr/bin/env python3
"""Assemble BENCHMARKS.md from the sections that each benchmark script writes to bench/results/<name>.md.

Run a script (e.g. `python bench/grading.py`), then `python bench/collect.py`. Every number in BENCHMARKS.md comes from
one of these committed scripts; ratios are against a baseline measured in the same run.
"""
import platform, os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ['grading', 'rewards', 'generation', 'generation_e2e', 'vllm_cpu', 'generation_auto', 'train_step',
         'engine_rollouts', 'miniature', 'miniature2', 'miniature5', 'l1_signal', 'l1_signal_miniature3',
         'entropy_control', 'level_warmup', 'mixed_groups', 'csqa_extraction', 'gsm8k_easy',
         'calibration_definition', 'stronger_llm', 'cascade', 'widgets', 'guarantee', 'serve', 'upstream_client',
         'fuzz', 'same_numbers']

def main():
    res = ROOT/'bench'/'results'
    files = sorted(res.glob('*.md'), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))
    head = ["# Benchmarks", "",
            "Produced by the scripts in `bench/` (each writes `bench/results/<name>.md`; `python bench/collect.py` assembles this page).",
            "Machine of record: the project's CI kind, 2 CPU cores, 24 GiB, no GPU, unless a section says otherwise.",
            "Each section names the command that reproduces it.", ""]
    body = [f.read_text().strip() + "\n" for f in files]
    (ROOT/'BENCHMARKS.md').write_text("\n".join(head) + "\n".join(body))
    print(f"BENCHMARKS.md: {len(files)} sections ({', '.join(f.stem for f in files)})")

if __name__ == '__main__': main()
