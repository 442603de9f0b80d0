"""PyTorch Geometric's 2-layer GAT on Cora, timed as `heed bench --epoch`
times heed's, with the same fields in its JSON record:

    PYTHONPATH=/path/to/pyg-2.3 python3 bench/peers/pyg_epoch.py --data ../shared/data/cora
    build/tools/heed/heed bench --epoch --data ../shared/data/cora --json

The model is the paper's and heed train's default (PyG's examples/gat.py):
input dropout 0.6, GATConv(F, 8, heads=8, dropout=0.6), ELU, dropout 0.6,
GATConv(64, C, heads=1, concat=False, dropout=0.6), log-softmax, Adam
(lr 0.005, weight decay 5e-4), on row-normalised features and the public
split. fwd_ms is a training-mode forward with the loss; fwd_bwd_ms a whole
epoch (zero_grad, forward, loss, backward, step); eval_ms an eval-mode
forward without autograd, as heed's eval runs without a tape.
"""
import argparse
import gzip
import json
import os
import resource

import torch
import torch.nn.functional as F
import torch_geometric
import torch_geometric.nn as pyg

from run_timing import timed


def read_rows(path):
    with gzip.open(path, "rt") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def load(folder):
    """Cora in the layout ../shared/data/README.md documents (layout A)."""
    meta = json.load(open(os.path.join(folder, "meta.json")))
    x = torch.tensor([[float(v) for v in r.split(",")]
                      for r in read_rows(os.path.join(folder, "node-feat.csv.gz"))])
    x = x / x.sum(1, keepdim=True).clamp(min=1)  # NormalizeFeatures
    y = torch.tensor([int(r) for r in read_rows(os.path.join(folder, "node-label.csv.gz"))])
    edges = [tuple(int(v) for v in r.split(","))
             for r in read_rows(os.path.join(folder, "edge.csv.gz"))]
    edge_index = torch.tensor(edges).t().contiguous()
    train = torch.tensor([int(r) for r in read_rows(
        os.path.join(folder, "split", "public", "train.csv.gz"))])
    return meta, x, y, edge_index, train


class GAT(torch.nn.Module):
    def __init__(self, in_channels, classes):
        super().__init__()
        self.conv1 = pyg.GATConv(in_channels, 8, heads=8, dropout=0.6)
        self.conv2 = pyg.GATConv(64, classes, heads=1, concat=False, dropout=0.6)

    def forward(self, x, edge_index):
        x = F.dropout(x, p=0.6, training=self.training)
        x = F.elu(self.conv1(x, edge_index))
        x = F.dropout(x, p=0.6, training=self.training)
        return F.log_softmax(self.conv2(x, edge_index), dim=-1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.path.join("..", "shared", "data", "cora"))
    p.add_argument("--repeats", type=int, default=50, help="timed epochs (heed's bench: 50)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    meta, x, y, edge_index, train = load(a.data)
    model = GAT(x.size(1), int(y.max()) + 1)
    adam = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=5e-4)

    def forward():
        model.train()
        return F.nll_loss(model(x, edge_index)[train], y[train])

    def epoch():
        adam.zero_grad()
        forward().backward()
        adam.step()

    def evaluate():
        model.eval()
        with torch.no_grad():
            model(x, edge_index)

    warmups = 3  # as heed's bench
    fwd = timed(forward, warmups, a.repeats)
    fwd_bwd = timed(epoch, warmups, a.repeats)
    ev = timed(evaluate, warmups, a.repeats)
    record = {
        "peer": "pyg " + torch_geometric.__version__,
        "torch": torch.__version__,
        "layer": "gat-2layer-epoch",
        "data": meta.get("name", "cora"),
        "nodes": x.size(0),
        "edges": edge_index.size(1),
        "edges_with_self_loops": edge_index.size(1) + x.size(0),
        "features": x.size(1),
        "threads": torch.get_num_threads(),
        "repeats": a.repeats,
        "fwd_ms": fwd[0],
        "fwd_ms_min": fwd[1],
        "fwd_ms_max": fwd[2],
        "fwd_bwd_ms": fwd_bwd[0],
        "fwd_bwd_ms_min": fwd_bwd[1],
        "fwd_bwd_ms_max": fwd_bwd[2],
        "eval_ms": ev[0],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(record, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
