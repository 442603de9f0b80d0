"""A heed model exported to PyG's layout, loaded by PyG itself with
load_state_dict(strict=True), gives heed's logits. Runs when a PyG 2.3
tree is on PYG_PATH."""
import json
import os
import struct
import sys

import numpy as np
import pytest

import heed

torch = pytest.importorskip("torch")


def read_safetensors(path):
    # The format as its specification gives it: u64 header length, JSON header, data.
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        dtype = {"F32": np.float32, "F64": np.float64}[t["dtype"]]
        raw = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=dtype)
        out[name] = torch.from_numpy(raw.reshape(t["shape"]).copy())
    return out


def pyg_model(description, pyg):
    modules = torch.nn.Module()
    order = []
    for layer in description["layers"]:
        args = {k: v for k, v in layer.items() if k not in ("name", "cls")}
        cls = layer["cls"]
        module = {"GATConv": getattr(pyg, "GATConv"), "GATv2Conv": getattr(pyg, "GATv2Conv"),
                  "GCNConv": getattr(pyg, "GCNConv"), "ELU": torch.nn.ELU, "ReLU": torch.nn.ReLU,
                  "Dropout": torch.nn.Dropout, "Linear": torch.nn.Linear}[cls](**args)
        modules.add_module(layer["name"], module)
        order.append((layer["name"], cls.endswith("Conv")))
    return modules, order


@pytest.mark.parametrize("kind", ["gat", "gatv2", "gcn"])
def test_pyg_loads_the_export_strictly_and_gives_heeds_logits(kind, cora_dir, tmp_path):
    path = os.environ.get("PYG_PATH")
    if not path:
        pytest.skip("PYG_PATH (a PyG 2.3 source tree) is not set")
    sys.path.insert(0, path)
    pyg = pytest.importorskip("torch_geometric.nn")
    cora = heed.load_dataset(str(cora_dir))
    model = heed.Model(kind, cora.num_features, cora.num_classes, seed=1)
    model.fit(cora, max_epochs=20)
    model.export_pyg(str(tmp_path))
    description = json.load(open(tmp_path / "model.json"))
    modules, order = pyg_model(description, pyg)
    modules.load_state_dict(read_safetensors(tmp_path / "model.safetensors"), strict=True)
    modules.eval()
    h = torch.from_numpy(np.array(cora.x))
    edge_index = torch.from_numpy(cora.edge_index)
    with torch.no_grad():
        for name, is_conv in order:
            m = getattr(modules, name)
            h = m(h, edge_index) if is_conv else m(h)
    want = model.predict(cora)
    assert np.abs(h.numpy() - want).max() <= 1e-4
    assert np.array_equal(h.numpy().argmax(1), want.argmax(1))
