#!/usr/bin/env python3
"""Writes graft's bundled WordNet subset: the licence header of WordNet 3.0's data.noun and 40
synsets of each of its 26 lexicographer files (verbatim lines, in file order), drawn with a
fixed seed. Run once, by hand; graft itself never needs Python.

    apt-get install wordnet-base
    tools/wordnet_subset.py /usr/share/wordnet/data.noun \
        src/main/resources/dev/graft/data/wordnet/data.noun.subset
"""
import random
import sys

PER_CLASS = 40
SEED = 20240331

src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="ascii") as f:
    lines = f.read().split("\n")
header = [l for l in lines if l.startswith("  ")]
by_file = {}
for i, l in enumerate(lines):
    if l and not l.startswith("  "):
        by_file.setdefault(l.split(" ")[1], []).append(i)
rng = random.Random(SEED)
keep = sorted(i for f in sorted(by_file) for i in rng.sample(by_file[f], PER_CLASS))
with open(dst, "w", encoding="ascii") as f:
    f.write("\n".join(header + [lines[i] for i in keep]) + "\n")
print(f"{len(keep)} synsets from {len(by_file)} lexicographer files -> {dst}")
