"""heed.torch's GATConv and GATv2Conv against PyG's, in one process, on one
random graph: forward and forward+backward, median of timed runs after a
warm-up. Prints one JSON object per layer.

    PYTHONPATH=build/python:/path/to/pyg-2.3 python3 bench/torch_gatconv.py \
        --nodes 100000 --edges 1000000

Without PyG on the path, only heed's side is measured.
"""
import argparse
import json

import torch

import heed.torch as ht

try:
    import torch_geometric.nn as pyg
except ImportError:  # heed's figures alone
    pyg = None

from peers.run_timing import timed


def measure(layer, x, edge_index, repeats):
    def forward():
        with torch.no_grad():
            layer(x, edge_index)

    def forward_backward():
        x.grad = None
        layer.zero_grad()
        layer(x, edge_index).sum().backward()

    f = timed(forward, 1, repeats)
    fb = timed(forward_backward, 1, repeats)
    return {"fwd_ms": f[0], "fwd_bwd_ms": fb[0], "fwd_bwd_ms_min": fb[1], "fwd_bwd_ms_max": fb[2]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=100000)
    p.add_argument("--edges", type=int, default=1000000)
    p.add_argument("--in-channels", type=int, default=64)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--out-channels", type=int, default=8)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--layers", default="gat,gatv2")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randn(a.nodes, a.in_channels, requires_grad=True)
    edge_index = torch.randint(0, a.nodes, (2, a.edges))
    for kind in a.layers.split(","):
        ours_cls = ht.GATConv if kind == "gat" else ht.GATv2Conv
        ours = ours_cls(a.in_channels, a.out_channels, heads=a.heads)
        row = {"layer": kind, "nodes": a.nodes, "edges": a.edges, "in_channels": a.in_channels,
               "heads": a.heads, "out_channels": a.out_channels, "threads": a.threads,
               "heed": measure(ours, x, edge_index, a.repeats)}
        if pyg is not None:
            theirs = (pyg.GATConv if kind == "gat" else pyg.GATv2Conv)(
                a.in_channels, a.out_channels, heads=a.heads)
            theirs.load_state_dict(ours.state_dict())
            row["pyg"] = measure(theirs, x, edge_index, a.repeats)
            row["pyg_over_heed_fwd_bwd"] = row["pyg"]["fwd_bwd_ms"] / row["heed"]["fwd_bwd_ms"]
            row["pyg_over_heed_fwd"] = row["pyg"]["fwd_ms"] / row["heed"]["fwd_ms"]
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
