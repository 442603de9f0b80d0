"""Writes a node dataset in heed's layout (meta.json, edge.csv.gz,
node-feat.csv.gz, node-label.csv.gz, split/public/*.csv.gz) as Planetoid's
files ind.NAME.{x,y,tx,ty,allx,ally,graph,test.index}, pickled at protocol 2
with the same objects the originals hold: scipy csr_matrix feature rows,
numpy one-hot label rows, a collections.defaultdict(list) of neighbours.

It inverts what PyTorch Geometric's read_planetoid_data does, so the tests can
serve Planetoid files made from the shared Cora and check that heed turns
them back into the shared files byte for byte. Test nodes whose label is -1
are left out of tx, ty and test.index, as CiteSeer's are. scipy is not needed:
a stand-in class is pickled under scipy's module and class name.

usage: write_planetoid_files.py SOURCE_DIR OUT_DIR NAME
"""
import collections
import gzip
import json
import os
import pickle
import random
import sys
import types

import numpy as np


class csr_matrix:  # noqa: N801 (scipy's name, which the pickle records)
    pass


csr_matrix.__module__ = "scipy.sparse.csr"
for package in ("scipy", "scipy.sparse", "scipy.sparse.csr"):
    sys.modules[package] = types.ModuleType(package)
sys.modules["scipy.sparse.csr"].csr_matrix = csr_matrix


def lines(path):
    with gzip.open(path, "rt") as f:
        return [line.rstrip("\n") for line in f]


def sparse_rows(rows):
    m = csr_matrix()
    indptr, indices, data = [0], [], []
    for row in rows:
        for j, v in enumerate(row):
            if v != 0:
                indices.append(j)
                data.append(v)
        indptr.append(len(indices))
    m.__dict__.update({
        "_shape": (len(rows), len(rows[0]) if rows else 0),
        "indptr": np.array(indptr, dtype=np.int32),
        "indices": np.array(indices, dtype=np.int32),
        "data": np.array(data, dtype=np.float32),
        "format": "csr",
        "maxprint": 50,
    })
    return m


def one_hot(labels, classes):
    out = np.zeros((len(labels), classes), dtype=np.int64)
    for r, y in enumerate(labels):
        out[r, y] = 1
    return out


def main(source, out, name):
    meta = json.load(open(os.path.join(source, "meta.json")))
    classes = meta["num_classes"]
    features = [[float(v) for v in line.split(",")] for line in lines(os.path.join(source, "node-feat.csv.gz"))]
    labels = [int(v) for v in lines(os.path.join(source, "node-label.csv.gz"))]
    split = os.path.join(source, "split", "public")
    train = [int(v) for v in lines(os.path.join(split, "train.csv.gz"))]
    test = [int(v) for v in lines(os.path.join(split, "test.csv.gz"))]
    first = min(test)
    assert train == list(range(len(train))), "Planetoid's training nodes are the first ones"
    assert all(y >= 0 for y in labels[:first]), "every node before the test range needs a label"
    # The original test.index is not sorted: shuffle it, as a reader must sort.
    order = list(test)
    random.Random(7).shuffle(order)
    objects = {
        "x": sparse_rows(features[:len(train)]),
        "y": one_hot(labels[:len(train)], classes),
        "allx": sparse_rows(features[:first]),
        "ally": one_hot(labels[:first], classes),
        "tx": sparse_rows([features[i] for i in order]),
        "ty": one_hot([labels[i] for i in order], classes),
    }
    graph = collections.defaultdict(list)
    for line in lines(os.path.join(source, "edge.csv.gz")):
        src, dst = (int(v) for v in line.split(","))
        graph[src].append(dst)
    objects["graph"] = graph
    os.makedirs(out, exist_ok=True)
    for part, obj in objects.items():
        with open(os.path.join(out, "ind.%s.%s" % (name, part)), "wb") as f:
            pickle.dump(obj, f, protocol=2)
    with open(os.path.join(out, "ind.%s.test.index" % name), "w") as f:
        f.write("".join("%d\n" % i for i in order))


if __name__ == "__main__":
    main(*sys.argv[1:4])
