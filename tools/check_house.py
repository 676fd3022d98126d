#!/usr/bin/env python3
"""corea's layout, checked: modules import downward (no import cycles, counting imports inside functions), no exported
function over 50 lines, no exported line over 120 characters (nbdev's own `__all__` line aside: it wraps
the list at 120 characters and then puts `__all__ = ` in front), no method attached to a class outside its body.

    python tools/check_house.py            # one line per problem, then a summary; exit 1 if any (CI step 4)
    python tools/check_house.py --map      # the module map (package, module, what lives there) as Markdown

It reads corea/*.py (nbdev's exports) with `ast` only: nothing is imported, so it runs without the extras.
"""
import argparse, ast, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT/'corea'
MAX_LINE, MAX_FUNC = 120, 50


def modules() -> dict[str, Path]:
    "Dotted module name -> file, for every module of the package (nbdev's _modidx.py aside)."
    out = {}
    for p in sorted(PKG.rglob('*.py')):
        if p.name == '_modidx.py': continue
        parts = ('corea',) + p.relative_to(PKG).with_suffix('').parts
        out['.'.join(parts[:-1] if parts[-1] == '__init__' else parts)] = p
    return out


def imported(tree: ast.Module, mod: str, is_pkg: bool, known: set[str]) -> set[str]:
    "The package's modules that `mod` imports anywhere in its body (relative imports resolved)."
    pkg = mod if is_pkg else mod.rpartition('.')[0]
    found = set()
    for n in ast.walk(tree):
        names = []
        if isinstance(n, ast.Import): names = [a.name for a in n.names]
        elif isinstance(n, ast.ImportFrom):
            base = n.module or ''
            if n.level:
                up = pkg.split('.')[:len(pkg.split('.')) - n.level + 1]
                base = '.'.join(up + ([base] if base else []))
            names = [base] + [f'{base}.{a.name}' for a in n.names]
        for x in names:
            while x and x not in known: x = x.rpartition('.')[0]
            if x and x != mod and not mod.startswith(x + '.'): found.add(x)
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    "Strongly connected components of more than one module (Tarjan), each sorted."
    idx, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    def visit(v):
        idx[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in idx:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], idx[w])
        if low[v] == idx[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    sys.setrecursionlimit(10_000)
    for v in edges:
        if v not in idx: visit(v)
    return out


def attached_methods(tree: ast.Module) -> list[tuple[int, str]]:
    "(line, target) of module-level `Class.name = function` assignments and nbdev `@patch` functions."
    out = []
    for n in tree.body:
        if isinstance(n, ast.Assign) and isinstance(n.value, (ast.Name, ast.Lambda, ast.Tuple)):
            for t in n.targets:
                for e in (t.elts if isinstance(t, ast.Tuple) else [t]):
                    if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id[:1].isupper():
                        out.append((n.lineno, f'{e.value.id}.{e.attr}'))
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any('patch' in ast.unparse(d) for d in n.decorator_list): out.append((n.lineno, f'@patch {n.name}'))
    return out


def nbdev_all(lines: list[str], i: int) -> bool:
    "Is line `i` the first line of the `__all__` that nbdev writes? (It wraps the list at 120, then prefixes it.)"
    return lines[i - 1].startswith('__all__ = [') and i > 1 and lines[i - 2] == '# %% auto #0'


def problems() -> tuple[list[str], dict[str, set[str]]]:
    mods = modules()
    edges, found = {}, []
    for m, p in mods.items():
        src = p.read_text()
        tree = ast.parse(src)
        edges[m] = imported(tree, m, p.name == '__init__.py', set(mods))
        rel = p.relative_to(ROOT)
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > MAX_FUNC:
                found.append(f'{rel}:{n.lineno}: function {n.name} has {n.end_lineno - n.lineno + 1} lines '
                             f'(at most {MAX_FUNC}): split it')
        lines = src.splitlines()
        for i, line in enumerate(lines, 1):
            if len(line) > MAX_LINE and not nbdev_all(lines, i):
                found.append(f'{rel}:{i}: {len(line)} characters (at most {MAX_LINE})')
        for line, what in attached_methods(tree):
            found.append(f'{rel}:{line}: {what} is attached outside its class: define it in the class body')
    for c in cycles(edges):
        found.append('import cycle: ' + ' -> '.join(x.removeprefix('corea.') for x in c) +
                     ': move what both need into a module below them')
    return found, edges


def module_map() -> str:
    "A Markdown table: each module, what its docstring says lives there, the corea modules it imports."
    _, edges = problems()
    rows = ['| module | what lives there | imports from corea |', '|---|---|---|']
    for m, p in modules().items():
        doc = ast.get_docstring(ast.parse(p.read_text())) or ''
        first = doc.strip().split('\n\n')[0].replace('\n', ' ').replace('|', '\\|')
        deps = ', '.join(sorted(d.removeprefix('corea.') for d in edges[m])) or '-'
        rows.append(f"| `{m}` | {first} | {deps} |")
    return '\n'.join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--map', action='store_true', help='print the module map as Markdown and exit')
    a = ap.parse_args()
    if a.map:
        print(module_map())
        return 0
    found, edges = problems()
    for f in found: print(f)
    n_cycles = sum(f.startswith('import cycle') for f in found)
    print(f'house: {len(edges)} modules, {n_cycles} import cycles, {len(found) - n_cycles} other problems')
    return 1 if found else 0


if __name__ == '__main__': sys.exit(main())
