import gzip
import json
import os
import subprocess

import numpy as np
import pytest

import heed


@pytest.fixture(scope="module")
def graph():
    return heed.synthetic(nodes=600, classes=3, features=12, seed=1, signal=0.5)


def test_a_gat_learns_the_synthetic_graph(graph):
    heed.set_num_threads(1)
    m = heed.Model("gat", graph.num_features, graph.num_classes, seed=0, heads=4, hidden_channels=4)
    r = m.fit(graph, max_epochs=300, lr=0.02)
    assert r["epochs"] <= 300
    assert r["test_accuracy"] > 0.8  # three classes: chance is a third
    assert set(r["metrics"]) == {"train", "valid", "test"}
    assert r["metrics"]["test"]["accuracy"] == pytest.approx(r["test_accuracy"])
    logits = m.predict(graph)
    assert logits.shape == (600, 3) and logits.dtype == np.float32
    test = graph.split()["test"]
    assert np.mean(logits[test].argmax(1) == graph.y[test]) == pytest.approx(r["test_accuracy"])


def test_fit_is_the_cli_run_of_the_same_seed(graph, tmp_path):
    cli = os.environ.get("HEED_CLI")
    if not cli:
        pytest.skip("HEED_CLI is not set")
    heed.set_num_threads(1)
    m = heed.Model("gcn", 32, 5, seed=4)
    r = m.fit(heed.synthetic(seed=4), max_epochs=30)  # the CLI seeds its graph too
    out = subprocess.run([cli, "train", "--model", "gcn", "--seed", "4", "--epochs", "30",
                          "--threads", "1", "--json"], check=True, capture_output=True, text=True)
    assert json.loads(out.stdout)["test_accuracy"][0] == r["test_accuracy"]


def test_attention_is_a_softmax_over_each_destination(graph):
    m = heed.Model("gatv2", graph.num_features, graph.num_classes, seed=2, heads=2)
    layers = m.attention(graph)
    assert len(layers) == 2
    for (edge_index, alpha), heads in zip(layers, (2, 1)):
        assert edge_index.shape[0] == 2 and alpha.shape == (edge_index.shape[1], heads)
        sums = np.zeros((graph.num_nodes, heads))
        np.add.at(sums, edge_index[1], alpha)
        assert np.allclose(sums, 1.0, atol=1e-5)
    assert heed.Model("gcn", graph.num_features, 3).attention(graph) == []


def test_predict_takes_arrays(graph):
    m = heed.Model("gat", graph.num_features, graph.num_classes, seed=0)
    a = m.predict(graph)
    b = m.predict(np.array(graph.x), graph.edge_index)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="the model takes 12 features"):
        m.predict(np.zeros((5, 3), dtype=np.float32), np.zeros((2, 0), dtype=np.int64))
    with pytest.raises(ValueError, match="x must be a float32 array"):
        m.predict(np.zeros((5, 12)), np.zeros((2, 0), dtype=np.int64))
    with pytest.raises(ValueError, match="names a node outside"):
        m.predict(np.zeros((5, 12), dtype=np.float32), np.array([[0], [5]], dtype=np.int64))


def test_settings_are_checked():
    with pytest.raises(TypeError, match="unknown model setting 'head'"):
        heed.Model("gat", 4, 2, head=3)
    with pytest.raises(heed.HeedError, match="heads"):
        heed.Model("gat", 4, 2, heads=0)
    with pytest.raises(heed.HeedError, match="unknown conv 'gatt'"):
        heed.Model("gatt", 4, 2)
    m = heed.Model("gat", 4, 2, heads=3, dropout=0.1)
    assert m.spec["heads"] == 3 and m.spec["attention_dropout"] == pytest.approx(0.1)


def test_save_load_export_import_keep_the_outputs(graph, tmp_path):
    m = heed.Model("gat", graph.num_features, graph.num_classes, seed=5)
    m.fit(graph, max_epochs=5)
    m.save(str(tmp_path / "m.heed"))
    assert np.array_equal(heed.load(str(tmp_path / "m.heed")).predict(graph), m.predict(graph))
    m.export_pyg(str(tmp_path / "pyg"))
    back = heed.import_pyg(str(tmp_path / "pyg"))
    assert back.spec["model"] == "sequential"
    assert np.array_equal(back.predict(graph), m.predict(graph))
    with pytest.raises(heed.HeedError, match="cannot open"):
        heed.load(str(tmp_path / "missing.heed"))


def _csv_gz(path):
    with gzip.open(path, "rt") as f:
        return np.array([[float(v) for v in line.split(",")] for line in f if line[0] != "s"])


def test_pygs_gat_gives_pygs_logits_and_attention(cora_dir, pyg_gat_cora):
    cora = heed.load_dataset(str(cora_dir))
    m = heed.import_pyg(str(pyg_gat_cora))
    logits = m.predict(cora)
    want = _csv_gz(pyg_gat_cora / "logits.csv.gz")
    assert np.abs(logits - want).max() <= 1e-4
    assert np.array_equal(logits.argmax(1), want.argmax(1))
    for layer, (edge_index, alpha) in enumerate(m.attention(cora)):
        pyg = _csv_gz(pyg_gat_cora / f"attention-conv{layer + 1}.csv.gz")
        row = {(s, d): k for k, (s, d) in enumerate(edge_index.T.tolist())}
        order = [row[(int(s), int(d))] for s, d in pyg[:, :2]]
        assert np.abs(alpha[order] - pyg[:, 2:]).max() <= 1e-5
