#!/bin/bash
# The layout rules, checked on the built objects (TAP):
#   - no file-level circles: the "calls a function defined in" graph
#     between the objects of the extension has no cycle;
#   - src/rest and src/auth include no PostgreSQL header.
# Run after the build (scripts/test.sh builds first).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
exec python3 - <<'PY'
import glob, re, subprocess, sys

objs = ['spanner_fdw.o'] + sorted(glob.glob('src/*.o') + glob.glob('src/rest/*.o')
                                  + glob.glob('src/auth/*.o'))
# only objects of current sources (a stale object of a removed file misleads)
objs = [o for o in objs if glob.glob(o[:-2] + '.c')]
n = 0
def ok(cond, name):
    global n
    n += 1
    print(('ok' if cond else 'not ok') + ' %d - %s' % (n, name))

print('1..4')
ok(len(objs) > 20, 'the extension is built (%d objects)' % len(objs))
defs, unds = {}, {}
for o in objs:
    out = subprocess.run(['nm', o], capture_output=True, text=True).stdout.splitlines()
    defs[o] = {p[2] for p in (l.split() for l in out) if len(p) == 3 and p[1] in 'TDBR'}
    unds[o] = {p[1] for p in (l.split() for l in out) if len(p) == 2 and p[0] == 'U'}
graph = {o: {d for s in unds[o] for d in objs if d != o and s in defs[d]} for o in objs}

# strongly connected components (Tarjan)
index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in graph[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            comps.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in objs:
    if v not in index:
        visit(v)
for c in comps:
    print('# circle: ' + ' <-> '.join(c))
ok(not comps, 'no file-level circles between %d objects' % len(objs))
edges = sum(len(v) for v in graph.values())
ok(edges > len(objs), 'the call graph was read (%d edges)' % edges)

bad = []
for f in sorted(glob.glob('src/rest/*.[ch]') + glob.glob('src/auth/*.[ch]')):
    for line in open(f, encoding='utf-8'):
        m = re.match(r'\s*#\s*include\s*[<"]([^>"]+)[>"]', line)
        if m and (m.group(1) in ('postgres.h', 'postgres_fe.h', 'fmgr.h', 'pg_jsonc.h')
                  or re.match(r'(utils|nodes|access|catalog|storage|executor|commands|optimizer|lib|miscadmin)\b', m.group(1))):
            bad.append('%s: %s' % (f, m.group(1)))
for b in bad:
    print('# ' + b)
ok(not bad, 'src/rest and src/auth include no PostgreSQL header')
PY
