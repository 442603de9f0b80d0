"""heed's bench and its PyG peer, alternated in one sitting on one machine:
each round runs `heed bench --layer L --json` and `pyg_layer.py --layer L`
as separate processes, one right after the other, so that both see the same
machine state. Prints one JSON object per layer: both records' medians over
the rounds and PyG's time over heed's.

    PYTHONPATH=/path/to/pyg-2.3 python3 bench/peers/side_by_side.py \
        --heed build/tools/heed/heed --layers gat,gatv2,gcn --rounds 3 --peer-repeats 3

With --epoch, the Cora training epoch and eval forward instead:
`heed bench --epoch --data D` against pyg_epoch.py; with a whole-graph
dataset as D (a TUDataset folder such as mutag, or a CSV of SMILES such as
esol), the epoch over its graphs in batches, against pyg_graph_epoch.py.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(command, env):
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.splitlines()[0])


def is_graph_dataset(folder):
    files = os.listdir(folder)
    return any(f.endswith("_graph_indicator.txt") for f in files) or any(
        f.endswith(".csv") for f in files)


def graph_epoch_side_by_side(a, env):
    repeats = ["--repeats", str(a.repeats)] if a.repeats else []
    heed, peer = [], []
    for _ in range(a.rounds):
        heed.append(run_json([a.heed, "bench", "--epoch", "--data", a.data, "--threads",
                              str(a.threads), "--json"] + repeats, env))
        peer.append(run_json([sys.executable, os.path.join(HERE, "pyg_graph_epoch.py"), "--data",
                              a.data, "--threads", str(a.threads)] + repeats, env))
    row = {"layer": "gat-2layer-graph-epoch", "data": heed[0]["data"], "threads": a.threads,
           "rounds": a.rounds, "repeats": heed[0]["repeats"], "peer": peer[0]["peer"],
           "batch_size": heed[0]["batch_size"], "blas_core": heed[0]["blas_core"]}
    for key in ("epoch_ms", "eval_ms", "peak_rss_mib"):
        row["heed_" + key] = statistics.median(r[key] for r in heed)
        row["pyg_" + key] = statistics.median(r[key] for r in peer)
    row["pyg_over_heed_epoch"] = row["pyg_epoch_ms"] / row["heed_epoch_ms"]
    row["pyg_over_heed_eval"] = row["pyg_eval_ms"] / row["heed_eval_ms"]
    print(json.dumps(row), flush=True)


def epoch_side_by_side(a, env):
    if is_graph_dataset(a.data):
        graph_epoch_side_by_side(a, env)
        return
    repeats = ["--repeats", str(a.repeats)] if a.repeats else []
    heed, peer = [], []
    for _ in range(a.rounds):
        heed.append(run_json([a.heed, "bench", "--epoch", "--data", a.data, "--threads",
                              str(a.threads), "--json"] + repeats, env))
        peer.append(run_json([sys.executable, os.path.join(HERE, "pyg_epoch.py"), "--data", a.data,
                              "--threads", str(a.threads)] + repeats, env))
    row = {"layer": "gat-2layer-epoch", "data": heed[0]["data"], "threads": a.threads,
           "rounds": a.rounds, "repeats": heed[0]["repeats"], "peer": peer[0]["peer"],
           "blas_core": heed[0]["blas_core"], "blas_threading": heed[0]["blas_threading"]}
    for key in ("fwd_ms", "fwd_bwd_ms", "eval_ms", "peak_rss_mib"):
        row["heed_" + key] = statistics.median(r[key] for r in heed)
        row["pyg_" + key] = statistics.median(r[key] for r in peer)
    for key in ("fwd_bwd", "fwd", "eval"):
        row["pyg_over_heed_" + key] = row["pyg_%s_ms" % key] / row["heed_%s_ms" % key]
    print(json.dumps(row), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--heed", default="build/tools/heed/heed")
    p.add_argument("--layers", default="gat,gatv2,gcn")
    p.add_argument("--nodes", type=int, default=100000)
    p.add_argument("--edges", type=int, default=1000000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=0,
                   help="timed runs per record, both sides (0: the bench's default)")
    p.add_argument("--peer-repeats", type=int, default=0,
                   help="timed runs per PyG record, if fewer than heed's (0: as --repeats); "
                        "PyG's GATv2 takes seconds a run on this machine")
    p.add_argument("--epoch", action="store_true", help="a training epoch (Cora's, or a whole-graph dataset's), not layers")
    p.add_argument("--data", default=os.path.join("..", "shared", "data", "cora"))
    a = p.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    if a.epoch:
        epoch_side_by_side(a, env)
        return
    size = ["--nodes", str(a.nodes), "--edges", str(a.edges)]
    peer_repeats = a.peer_repeats or a.repeats
    for layer in a.layers.split(","):
        heed, peer = [], []
        for _ in range(a.rounds):
            heed.append(run_json([a.heed, "bench", "--layer", layer, "--threads", str(a.threads),
                                  "--json", "--repeats", str(a.repeats)] + size, env))
            peer.append(run_json([sys.executable, os.path.join(HERE, "pyg_layer.py"), "--layer",
                                  layer, "--threads", str(a.threads), "--repeats",
                                  str(peer_repeats)] + size, env))
        row = {"layer": layer, "nodes": a.nodes, "edges": a.edges, "threads": a.threads,
               "rounds": a.rounds, "repeats": heed[0]["repeats"],
               "peer_repeats": peer[0]["repeats"], "peer": peer[0]["peer"],
               "blas_core": heed[0]["blas_core"], "blas_threading": heed[0]["blas_threading"]}
        for key in ("fwd_ms", "fwd_bwd_ms", "peak_rss_mib"):
            row["heed_" + key] = statistics.median(r[key] for r in heed)
            row["pyg_" + key] = statistics.median(r[key] for r in peer)
        row["pyg_over_heed_fwd_bwd"] = row["pyg_fwd_bwd_ms"] / row["heed_fwd_bwd_ms"]
        row["pyg_over_heed_fwd"] = row["pyg_fwd_ms"] / row["heed_fwd_ms"]
        row["pyg_over_heed_memory"] = row["pyg_peak_rss_mib"] / row["heed_peak_rss_mib"]
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
