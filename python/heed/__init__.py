"""heed: graph attention networks in C++, from Python.

    import heed
    cora = heed.load_dataset("cora")
    model = heed.Model("gat", cora.num_features, cora.num_classes, seed=0)
    result = model.fit(cora)              # as `heed train --data cora --seed 0`
    logits = model.predict(cora)          # numpy, N x classes
    for edge_index, alpha in model.attention(cora): ...
    model.save("cora.heed"); model.export_pyg("cora-pyg")
    pyg = heed.import_pyg("../shared/fixtures/pyg-gat-cora")

Arrays are numpy: float32 features, int64 edge_index (2 x E), int32 labels.
heed's errors are raised as heed.HeedError, a ValueError. `heed.torch` holds
GATConv and GATv2Conv as torch modules running heed's fused kernels.
"""
from ._heed import (  # noqa: F401
    Dataset,
    HeedError,
    Model,
    __version__,
    import_pyg,
    load,
    load_dataset,
    model_names,
    num_threads,
    set_num_threads,
    synthetic,
)
__all__ = [
    "Dataset",
    "HeedError",
    "Model",
    "import_pyg",
    "load",
    "load_dataset",
    "model_names",
    "num_threads",
    "set_num_threads",
    "synthetic",
]
