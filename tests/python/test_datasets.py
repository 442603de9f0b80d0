import numpy as np
import pytest

import heed


def test_synthetic_graph_has_the_requested_shape():
    d = heed.synthetic(nodes=500, classes=4, features=16, seed=3)
    assert (d.num_nodes, d.num_features, d.num_classes) == (500, 16, 4)
    assert d.x.shape == (500, 16) and d.x.dtype == np.float32
    assert d.y.shape == (500,) and d.y.dtype == np.int32
    assert d.edge_index.shape == (2, d.num_edges) and d.edge_index.dtype == np.int64
    assert set(np.unique(d.y)) <= set(range(4))
    split = d.split("public")
    assert len(split["train"]) == 4 * 20
    assert not set(split["train"]) & set(split["test"])


def test_views_are_read_only_and_keep_the_dataset_alive():
    x = heed.synthetic(nodes=100, features=8).x  # the dataset itself is gone
    assert x.sum() == pytest.approx(float(np.asarray(x, dtype=np.float64).sum()))
    with pytest.raises(ValueError):
        x[0, 0] = 1.0


def test_cora_is_read_with_normalised_rows(cora_dir):
    d = heed.load_dataset(str(cora_dir))
    assert (d.num_nodes, d.num_features, d.num_classes) == (2708, 1433, 7)
    assert d.num_edges == 10556
    sums = d.x.sum(axis=1)
    assert np.allclose(sums[sums > 0], 1.0, atol=1e-5)
    raw = heed.load_dataset(str(cora_dir), normalise_features=False)
    assert set(np.unique(raw.x)) == {0.0, 1.0}


def test_from_arrays_checks_what_it_is_given():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    edges = np.array([[0, 1, 2], [1, 2, 3]], dtype=np.int64)
    y = np.array([0, 1, -1, 1], dtype=np.int32)
    d = heed.Dataset(x, edges, y, splits={"mine": {"train": np.array([0, 1]), "test": np.array([3])}})
    assert d.num_classes == 2 and d.splits == ["mine"]
    assert list(d.split("mine")["test"]) == [3]
    with pytest.raises(ValueError, match="x must be a float32 array, got dtype float64"):
        heed.Dataset(x.astype(np.float64), edges, y)
    with pytest.raises(ValueError, match=r"edge_index must have shape \(2, any\), got \(3, 1\)"):
        heed.Dataset(x, np.zeros((3, 1), dtype=np.int64), y)
    with pytest.raises(ValueError, match="names node 9, outside"):
        heed.Dataset(x, np.array([[0], [9]], dtype=np.int64), y)
    with pytest.raises(ValueError, match=r"y must have shape \(4,\)"):
        heed.Dataset(x, edges, y[:3])
    with pytest.raises(ValueError, match="C-contiguous"):
        heed.Dataset(np.asfortranarray(x), edges, y)
    with pytest.raises(ValueError, match=r"mine\['train'\]\[0\] = 7 is not a node id"):
        heed.Dataset(x, edges, y, splits={"mine": {"train": np.array([7])}})
    with pytest.raises(heed.HeedError, match="not found"):
        heed.load_dataset("/no/such/dataset")
    with pytest.raises(heed.HeedError):
        d.split("public")
