#!/usr/bin/env python3
"""Carry an unfinished GRPO arm of a `corea reproduce` run across working sessions on machines that do not last.

The run folder's .gitignore keeps checkpoints and `best/` out of git (tens of MB each). A session whose machine is shut
down loses them, and the next session would train the arm again from step 0. This script ends the session's training
cleanly and stages, by force, exactly what the next session needs to resume:

1. `--stop`: send SIGTERM to the running `corea reproduce` (its trainer finishes the step, saves a checkpoint and
   exits with code 3) and wait for it to exit;
2. for every arm of the run folder whose stage is not in the ledger: its newest `checkpoint-N/` and its `best/`
   (`git add -f`), with its rollout log and dev curve; tracked checkpoints that are no longer on disk (the trainer
   rotated them) are staged as removed.

Then commit. When the arm's stage is done, its adapter is in `models/` and the checkpoints can be removed from the tree
(`git rm -r --cached`).

  python tools/keep_arm.py experiments/miniature3 --stop     # then: git commit
"""
import argparse, os, signal, subprocess, sys, time
from pathlib import Path
from corea.reproduce import newest_checkpoint, read_ledger


def running_reproduce(run: Path) -> list[int]:
    "Pids of `corea reproduce` processes (by their command line) that name this run's config."
    out = subprocess.run(['pgrep', '-f', 'corea reproduce'], capture_output=True, text=True).stdout.split()
    pids = [int(p) for p in out if int(p) != os.getpid()]
    return [p for p in pids if run.name in Path(f'/proc/{p}/cmdline').read_bytes().decode(errors='replace')]


def stop(pids: list[int], timeout: float = 900) -> None:
    "SIGTERM each, then wait until they have exited (a step and a checkpoint: minutes)."
    for p in pids: os.kill(p, signal.SIGTERM)
    end = time.time() + timeout
    while any(Path(f'/proc/{p}').exists() for p in pids):
        if time.time() > end: sys.exit(f'keep_arm: {pids} still running {timeout:.0f} s after SIGTERM; look at them.')
        time.sleep(5)


def keep(run: Path) -> list[str]:
    "Stage what each unfinished arm needs to resume; returns what was staged, one line an arm."
    ledger, said = read_ledger(run), []
    for arm in sorted(p for p in (run/'rl').glob('*') if p.is_dir()):
        if f'rl_{arm.name}' in ledger: continue
        subprocess.run(['git', 'add', '-A', '--', str(arm)], check=True)       # logs, dev curve, removed checkpoints
        ckpt, best = newest_checkpoint(arm), arm/'best'
        force = [str(p) for p in (ckpt, best) if p is not None and p.exists()]
        if force: subprocess.run(['git', 'add', '-f', '--', *force], check=True)
        said.append(f"{arm}: {ckpt.name if ckpt else 'no checkpoint'}{', best/' if best.exists() else ''}")
    return said


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('run', type=Path, help='the run folder, e.g. experiments/miniature3')
    ap.add_argument('--stop', action='store_true', help='SIGTERM the running corea reproduce of this run first')
    a = ap.parse_args(argv)
    if not (a.run/'config.json').exists(): sys.exit(f'keep_arm: {a.run} is not a corea reproduce run folder.')
    if a.stop and (pids := running_reproduce(a.run)): stop(pids)
    for line in keep(a.run) or ['no unfinished arm']: print(f'keep_arm: {line}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
