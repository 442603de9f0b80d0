"""PyTorch Geometric's layer on the graph `heed bench --layer` times, with the
same fields in its JSON record, so that the two run side by side:

    PYTHONPATH=/path/to/pyg-2.3 python3 bench/peers/pyg_layer.py --layer gat
    build/tools/heed/heed bench --layer gat --json

One layer per process, as heed's bench runs one case per process, so that
peak_rss_mib is the layer's own. Sizes follow heed's bench: 64 input
features; GAT and GATv2 with 8 heads of 8 (concatenated), GCN, SAGE and GIN
64 -> 64; self loops as each PyG layer adds them. The graph is uniform (as
torch.randint): heed draws its own with the same distribution, so edge ids
differ but the work does not. forward is a training-mode forward with
autograd recording, as heed's is with its tape; the input is data (no
gradient), as in a first layer.
"""
import argparse
import json
import resource

import torch
import torch_geometric
import torch_geometric.nn as pyg

from run_timing import timed


def make_layer(kind, in_channels, heads, out_channels):
    width = heads * out_channels
    if kind == "gat":
        return pyg.GATConv(in_channels, out_channels, heads=heads)
    if kind == "gatv2":
        return pyg.GATv2Conv(in_channels, out_channels, heads=heads)
    if kind == "gcn":
        return pyg.GCNConv(in_channels, width)
    if kind == "sage":
        return pyg.SAGEConv(in_channels, width)
    if kind == "gin":
        mlp = torch.nn.Sequential(torch.nn.Linear(in_channels, width), torch.nn.ReLU(),
                                  torch.nn.Linear(width, width))
        return pyg.GINConv(mlp)
    raise SystemExit(f"pyg_layer.py: unknown --layer '{kind}' (gat, gatv2, gcn, sage, gin)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layer", default="gat")
    p.add_argument("--nodes", type=int, default=100000)
    p.add_argument("--edges", type=int, default=1000000)
    p.add_argument("--in-channels", type=int, default=64)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--out-channels", type=int, default=8)
    p.add_argument("--repeats", type=int, default=0, help="0: as heed's bench (11; 5 from 200k nodes)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    repeats = a.repeats or (3 if a.nodes >= 1000000 else 5 if a.nodes >= 200000 else 11)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = torch.randn(a.nodes, a.in_channels)
    edge_index = torch.randint(0, a.nodes, (2, a.edges))
    layer = make_layer(a.layer, a.in_channels, a.heads, a.out_channels)
    layer.train()
    seed_grad = []

    def forward():
        out = layer(x, edge_index)
        if not seed_grad:
            seed_grad.append(torch.randn_like(out))

    def forward_backward():
        layer.zero_grad(set_to_none=True)
        layer(x, edge_index).backward(seed_grad[0])

    fwd = timed(forward, 1, repeats)
    fwd_bwd = timed(forward_backward, 1, repeats)
    multi_head = a.layer in ("gat", "gatv2")
    # GAT, GATv2 and GCN drop the graph's own self loops and add one per node.
    if a.layer in ("gat", "gatv2", "gcn"):
        edges_used = int((edge_index[0] != edge_index[1]).sum()) + a.nodes
    else:
        edges_used = a.edges
    record = {
        "peer": "pyg " + torch_geometric.__version__,
        "torch": torch.__version__,
        "layer": a.layer,
        "graph": "uniform",
        "nodes": a.nodes,
        "edges": a.edges,
        "edges_with_self_loops": edges_used,
        "in_channels": a.in_channels,
        "heads": a.heads if multi_head else 1,
        "out_channels": a.out_channels if multi_head else a.heads * a.out_channels,
        "threads": torch.get_num_threads(),
        "repeats": repeats,
        "fwd_ms": fwd[0],
        "fwd_ms_min": fwd[1],
        "fwd_ms_max": fwd[2],
        "fwd_bwd_ms": fwd_bwd[0],
        "fwd_bwd_ms_min": fwd_bwd[1],
        "fwd_bwd_ms_max": fwd_bwd[2],
        "edges_per_second": edges_used / (fwd_bwd[0] * 1e-3),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(record, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
