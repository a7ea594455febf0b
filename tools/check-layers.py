#!/usr/bin/env python3
"""Checks that the files of lib/ form layers: no circle of calls and no
circle of includes between them (issue 12).

Calls: `nm -A` over the static library; each undefined usnmp_/usnmp__
symbol of an object is mapped to the object that defines it, which gives
an edge "file -> file it calls".  Includes: the `#include "..."` lines of
lib/*.c and lib/*.h.  Any strongly connected component of more than one
file is a circle: it is printed and the exit status is 1.  Otherwise the
files are printed from the top layer down.

usage: check-layers.py LIBUSNMP.a LIBDIR
"""
import os
import re
import subprocess
import sys


def obj_source(name):
    """lib_manager.c.o (meson's object name) -> manager.c"""
    base = os.path.basename(name)
    base = re.sub(r'\.o(bj)?$', '', base)
    return re.sub(r'^lib_', '', base)


def call_graph(archive):
    out = subprocess.run(['nm', '-A', archive], check=True,
                         capture_output=True, text=True).stdout
    defined, undefined = {}, {}
    for line in out.splitlines():
        # archive:object: [value] type name
        head, _, rest = line.rpartition(': ')
        if not head:
            head, _, rest = line.rpartition(':')
        fields = rest.split()
        if len(fields) < 2:
            continue
        kind, sym = fields[-2], fields[-1]
        if not sym.startswith('usnmp_'):
            continue
        src = obj_source(head.split(':')[-1])
        if kind == 'U':
            undefined.setdefault(src, set()).add(sym)
        elif kind.upper() in 'TDBRVWG':
            defined[sym] = src
    graph = {src: set() for src in set(defined.values()) | set(undefined)}
    for src, syms in undefined.items():
        for sym in syms:
            dst = defined.get(sym)
            if dst is not None and dst != src:
                graph[src].add(dst)
    return graph


def include_graph(libdir):
    graph = {}
    for name in sorted(os.listdir(libdir)):
        if not name.endswith(('.c', '.h')):
            continue
        edges = graph.setdefault(name, set())
        with open(os.path.join(libdir, name), encoding='utf-8') as f:
            for line in f:
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if m and os.path.exists(os.path.join(libdir, m.group(1))):
                    edges.add(m.group(1))
    return graph


def circles(graph):
    """Tarjan's strongly connected components of more than one node (or a
    node with an edge to itself)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def layers(graph):
    """Each file's height: 0 for a file that calls none, else one more
    than the highest file it calls."""
    height = {}

    def h(v):
        if v not in height:
            height[v] = 0
            height[v] = 1 + max((h(w) for w in graph.get(v, ())), default=-1)
        return height[v]

    for v in graph:
        h(v)
    return height


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    archive, libdir = sys.argv[1], sys.argv[2]
    failed = False
    for what, graph in (('calls', call_graph(archive)),
                        ('includes', include_graph(libdir))):
        found = circles(graph)
        for comp in found:
            failed = True
            print(f'circle of {what}: ' + ' <-> '.join(comp))
            for v in comp:
                inside = sorted(w for w in graph[v] if w in comp)
                print(f'  {v} -> {", ".join(inside)}')
        if not found:
            height = layers(graph)
            edges = sum(len(e) for e in graph.values())
            print(f'{what}: {len(graph)} files, {edges} edges, no circle; '
                  'layers from the top:')
            for level in sorted(set(height.values()), reverse=True):
                names = sorted(v for v in height if height[v] == level)
                print(f'  {level:2d}  ' + ' '.join(names))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
