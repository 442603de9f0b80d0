"""PyTorch Geometric's training epoch over a whole-graph dataset, timed as
`heed bench --epoch --data mutag|esol` times heed's, with the same fields in
its JSON record:

    PYTHONPATH=/path/to/pyg-2.3 python3 bench/peers/pyg_graph_epoch.py --data ../shared/data/mutag
    build/tools/heed/heed bench --epoch --data ../shared/data/mutag --json

The model is heed's: GATConv(F, 8, heads=8), ELU, GATConv(64, 8, heads=8),
ELU, global_mean_pool, Linear(64, 64), ReLU, Linear(64, C); no dropout, no
edge features; cross-entropy for MUTAG's classes, MSE for ESOL's
solubility; Adam (lr 0.01). An epoch is one pass of a shuffling DataLoader
(batch 128) over every graph: collation, forward, loss, backward, step.
MUTAG is read by PyG's own TUDataset reader (read_tu_data); ESOL's molecules
by from_smiles on RDKit, each index column one-hot as heed's reader has it
(177 atom features). eval_ms is a forward over every graph, without autograd.
"""
import argparse
import csv
import json
import os
import resource

import torch
import torch.nn.functional as F
import torch_geometric
import torch_geometric.nn as pyg
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from run_timing import timed

# from_smiles's value counts per atom feature (heed's kAtomFeatureSizes).
ATOM_SIZES = [119, 9, 11, 12, 9, 5, 8, 2, 2]


def load_tu(folder):
    from torch_geometric.io import read_tu_data
    prefix = [f for f in os.listdir(folder) if f.endswith("_graph_indicator.txt")][0]
    prefix = prefix[: -len("_graph_indicator.txt")]
    out = read_tu_data(folder, prefix)
    data, slices = out[0], out[1]
    graphs = []
    for g in range(slices["y"].numel() - 1):
        n0, n1 = slices["x"][g], slices["x"][g + 1]
        e0, e1 = slices["edge_index"][g], slices["edge_index"][g + 1]
        graphs.append(Data(x=data.x[n0:n1], edge_index=data.edge_index[:, e0:e1],
                           y=data.y[g:g + 1]))
    return prefix.lower(), graphs, "classes"


def load_smiles(folder):
    from torch_geometric.utils import from_smiles
    path = [os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".csv")][0]
    meta = json.load(open(os.path.join(folder, "meta.json")))
    rows = list(csv.reader(open(path)))
    smiles_col = [c.lower() for c in rows[0]].index("smiles")
    target_col = rows[0].index(meta["target_column"])
    graphs = []
    for r in rows[1:]:
        d = from_smiles(r[smiles_col].strip())
        x = torch.cat([F.one_hot(d.x[:, k].long(), n) for k, n in enumerate(ATOM_SIZES)], 1)
        graphs.append(Data(x=x.float(), edge_index=d.edge_index,
                           y=torch.tensor([[float(r[target_col])]])))
    return os.path.basename(os.path.normpath(folder)), graphs, "values"


class Net(torch.nn.Module):
    def __init__(self, features, outputs):
        super().__init__()
        self.conv1 = pyg.GATConv(features, 8, heads=8)
        self.conv2 = pyg.GATConv(64, 8, heads=8)
        self.lin1 = torch.nn.Linear(64, 64)
        self.lin2 = torch.nn.Linear(64, outputs)

    def forward(self, x, edge_index, batch):
        x = F.elu(self.conv1(x, edge_index))
        x = F.elu(self.conv2(x, edge_index))
        x = pyg.global_mean_pool(x, batch)
        return self.lin2(F.relu(self.lin1(x)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.path.join("..", "shared", "data", "mutag"))
    p.add_argument("--repeats", type=int, default=20, help="timed epochs (heed's bench: 20)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    tu = any(f.endswith("_graph_indicator.txt") for f in os.listdir(a.data))
    name, graphs, kind = load_tu(a.data) if tu else load_smiles(a.data)
    outputs = int(max(int(g.y) for g in graphs)) + 1 if kind == "classes" else 1
    model = Net(graphs[0].x.size(1), outputs)
    adam = torch.optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(graphs, batch_size=128, shuffle=True)

    def epoch():
        model.train()
        for b in loader:
            adam.zero_grad()
            out = model(b.x, b.edge_index, b.batch)
            loss = F.cross_entropy(out, b.y) if kind == "classes" else F.mse_loss(out, b.y)
            loss.backward()
            adam.step()

    def evaluate():
        model.eval()
        with torch.no_grad():
            for b in loader:
                model(b.x, b.edge_index, b.batch)

    warmups = 2  # as heed's bench
    train = timed(epoch, warmups, a.repeats)
    ev = timed(evaluate, warmups, a.repeats)
    record = {
        "peer": "pyg " + torch_geometric.__version__,
        "torch": torch.__version__,
        "layer": "gat-2layer-graph-epoch",
        "data": name,
        "graphs": len(graphs),
        "nodes": sum(g.num_nodes for g in graphs),
        "edges": sum(g.edge_index.size(1) for g in graphs),
        "features": graphs[0].x.size(1),
        "batch_size": 128,
        "threads": torch.get_num_threads(),
        "repeats": a.repeats,
        "epoch_ms": train[0],
        "epoch_ms_min": train[1],
        "epoch_ms_max": train[2],
        "eval_ms": ev[0],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(record, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
