"""heed.torch's layers against dense references written here from the
papers' equations (plain torch ops in float64, adjacency as a dense mask),
and, when a PyG tree is on PYG_PATH, against PyG's own layers."""
import os
import sys

import pytest

torch = pytest.importorskip("torch")
import heed.torch as ht  # noqa: E402


def dense_reference(layer, x, edge_index, edge_attr=None, v2=False):
    """out and alpha (N x N x H, alpha[i, j] for edge j -> i) of a GAT or
    GATv2 layer, with PyG's self loops: existing ones removed, one per node
    added, its edge features the mean of the node's in-edges'."""
    n, H, C = x.size(0), layer.heads, layer.out_channels
    p = {k: v if v.dtype == torch.float64 else v.double() for k, v in layer.state_dict().items()}
    x = x.double()
    src, dst = edge_index
    keep = src != dst
    src, dst = src[keep], dst[keep]
    count = torch.zeros(n, n, dtype=torch.float64)  # duplicates counted
    count.index_put_((dst, src), torch.ones(src.numel(), dtype=torch.float64), accumulate=True)
    count += torch.eye(n, dtype=torch.float64)
    e_term = torch.zeros(n, n, H, dtype=torch.float64)
    if edge_attr is not None:
        ea = edge_attr.double().view(edge_attr.size(0), -1)[keep]
        loop = torch.zeros(n, ea.size(1), dtype=torch.float64).index_add_(0, dst, ea)
        loop /= torch.bincount(dst, minlength=n).clamp(min=1).unsqueeze(1).double()
        if v2:
            we = (ea @ p["lin_edge.weight"].T).view(-1, H, C)
            wl = (loop @ p["lin_edge.weight"].T).view(-1, H, C)
        else:
            we = ((ea @ p["lin_edge.weight"].T).view(-1, H, C) * p["att_edge"]).sum(-1)
            wl = ((loop @ p["lin_edge.weight"].T).view(-1, H, C) * p["att_edge"]).sum(-1)
    if v2:
        xl = (x @ p["lin_l.weight"].T + p.get("lin_l.bias", 0)).view(n, H, C)
        xr = (x @ p["lin_r.weight"].T + p.get("lin_r.bias", 0)).view(n, H, C)
        m = xr.unsqueeze(1) + xl.unsqueeze(0)  # [i, j, H, C]
        if edge_attr is not None:
            # The same (src, dst) pair may carry different features when
            # duplicated; the tests give each pair at most one edge then.
            me = torch.zeros(n, n, H, C, dtype=torch.float64)
            me[dst, src] = we
            me[torch.arange(n), torch.arange(n)] = wl
            m = m + me
        score = (torch.nn.functional.leaky_relu(m, layer.negative_slope) * p["att"]).sum(-1)
        values = xl
    else:
        z = (x @ p["lin_src.weight"].T).view(n, H, C)
        s_src = (z * p["att_src"]).sum(-1)
        s_dst = (z * p["att_dst"]).sum(-1)
        score = s_dst.unsqueeze(1) + s_src.unsqueeze(0)
        if edge_attr is not None:
            e_term[dst, src] = we
            e_term[torch.arange(n), torch.arange(n)] = wl
            score = score + e_term
        score = torch.nn.functional.leaky_relu(score, layer.negative_slope)
        values = z
    # softmax over j, each duplicate edge counted once more
    weights = torch.exp(score - score.max(dim=1, keepdim=True).values) * count.unsqueeze(-1)
    alpha = weights / weights.sum(dim=1, keepdim=True)
    out = torch.einsum("ijh,jhc->ihc", alpha, values)
    out = out.reshape(n, H * C) if layer.concat else out.mean(1)
    if "bias" in p:
        out = out + p["bias"]
    return out, alpha


def random_graph(n, e, seed, loops=True, duplicates=True):
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, n - 3, (2, e), generator=g)  # the last 3 nodes isolated
    if loops:
        edge_index[:, :3] = torch.tensor([[0, 1, 2], [0, 1, 2]])
    if duplicates:
        edge_index[:, 5] = edge_index[:, 4]
    else:
        keys = edge_index[0] * n + edge_index[1]
        _, first = torch.unique(keys, return_inverse=True)
        keep = torch.zeros(e, dtype=torch.bool)
        seen = set()
        for k, key in enumerate(first.tolist()):
            if key not in seen:
                seen.add(key)
                keep[k] = True
        edge_index = edge_index[:, keep]
    return edge_index


CASES = [
    ("gat", dict(heads=1)),
    ("gat", dict(heads=8)),
    ("gat", dict(heads=4, concat=False)),
    ("gat", dict(heads=2, edge_dim=3)),
    ("gatv2", dict(heads=1)),
    ("gatv2", dict(heads=8)),
    ("gatv2", dict(heads=3, concat=False, share_weights=True)),
    ("gatv2", dict(heads=2, edge_dim=3)),
]


@pytest.mark.parametrize("kind,options", CASES)
def test_layer_matches_the_dense_reference(kind, options):
    torch.manual_seed(0)
    n, fin, C = 20, 6, 4
    cls = ht.GATConv if kind == "gat" else ht.GATv2Conv
    layer = cls(fin, C, **options)
    with torch.no_grad():
        if layer.bias is not None:
            layer.bias.uniform_(-1, 1)
        for name in ("lin_l", "lin_r"):
            lin = getattr(layer, name, None)
            if lin is not None and lin.bias is not None:
                lin.bias.uniform_(-1, 1)
    edge_dim = options.get("edge_dim")
    edge_index = random_graph(n, 60, 1, duplicates=edge_dim is None)
    x = torch.randn(n, fin, requires_grad=True)
    edge_attr = torch.randn(edge_index.size(1), edge_dim, requires_grad=True) if edge_dim else None
    out, (ei, alpha) = layer(x, edge_index, edge_attr, return_attention_weights=True)
    ref_out, ref_alpha = dense_reference(layer, x, edge_index, edge_attr, v2=kind == "gatv2")
    assert torch.allclose(out.double(), ref_out, atol=1e-5)
    # PyG's order: input edges without their self loops, then one loop per node.
    keep = edge_index[0] != edge_index[1]
    assert torch.equal(ei[:, : int(keep.sum())], edge_index[:, keep])
    assert torch.equal(ei[:, int(keep.sum()):], torch.arange(n).repeat(2, 1))
    want = ref_alpha[ei[1], ei[0]]  # per edge; a duplicate's share is its own
    dup = torch.zeros(n, n).index_put_((ei[1], ei[0]), torch.ones(ei.size(1)), accumulate=True)
    assert torch.allclose(alpha.double() * dup[ei[1], ei[0]].double().unsqueeze(1), want,
                          atol=1e-5)
    # Gradients of x, every parameter and the edge features.
    r = torch.randn_like(out)
    (out * r).sum().backward()
    grads = {k: v.grad.clone() for k, v in layer.named_parameters()}
    gx = x.grad.clone()
    ge = edge_attr.grad.clone() if edge_attr is not None else None
    layer.zero_grad()
    x.grad = None
    xd = x.detach().double().requires_grad_()
    ed = edge_attr.detach().double().requires_grad_() if edge_attr is not None else None
    # The reference reads the state_dict: give it differentiable leaves.
    leaves = {k: v.detach().double().clone().requires_grad_()
              for k, v in layer.state_dict().items()}

    class View:
        heads, out_channels, concat = layer.heads, layer.out_channels, layer.concat
        negative_slope = layer.negative_slope

        @staticmethod
        def state_dict():
            return leaves

    ref, _ = dense_reference(View, xd, edge_index, ed, v2=kind == "gatv2")
    (ref * r.double()).sum().backward()
    assert torch.allclose(gx.double(), xd.grad, atol=1e-5)
    if ge is not None:
        assert torch.allclose(ge.double(), ed.grad, atol=1e-5)
    for name in grads:
        # A shared Linear's gradient is the sum over both of its names.
        g = sum(leaves[k].grad for k in leaves
                if leaves[k].grad is not None and (k == name or _same(layer, k, name)))
        assert torch.allclose(grads[name].double(), g, atol=1e-5), name


def _same(layer, a, b):
    sd = layer.state_dict(keep_vars=True)
    return a != b and sd[a] is sd[b]


def test_attention_dropout_acts_in_training_only():
    torch.manual_seed(1)
    layer = ht.GATConv(5, 3, heads=2, dropout=0.5)
    x = torch.randn(12, 5)
    edge_index = random_graph(12, 40, 2)
    layer.eval()
    a = layer(x, edge_index)
    assert torch.equal(a, layer(x, edge_index))
    layer.train()
    b, (_, alpha) = layer(x, edge_index, return_attention_weights=True)
    assert not torch.allclose(a, b)
    zero = (alpha == 0).float().mean().item()
    assert 0.3 < zero < 0.7  # about half the coefficients dropped


def test_bad_inputs_are_python_exceptions():
    layer = ht.GATConv(4, 2, heads=2)
    x = torch.randn(5, 4)
    good = torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(TypeError, match="float32"):
        layer(x.double(), good)
    with pytest.raises(TypeError, match="int64"):
        layer(x, good.int())
    with pytest.raises(ValueError, match=r"shape \(2, E\)"):
        layer(x, torch.zeros(3, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="outside"):
        layer(x, torch.tensor([[0], [7]]))
    with pytest.raises(ValueError):
        layer(torch.randn(5, 3), good)
    with pytest.raises(ValueError, match="bipartite"):
        ht.GATConv((4, 5), 2)


def _pyg():
    path = os.environ.get("PYG_PATH")
    if not path:
        pytest.skip("PYG_PATH (a PyG 2.3 source tree) is not set")
    sys.path.insert(0, path)
    return pytest.importorskip("torch_geometric.nn")


PYG_CASES = CASES + [("gat", dict(heads=8, add_self_loops=False)),
                     ("gatv2", dict(heads=8, bias=False))]


@pytest.mark.parametrize("kind,options", PYG_CASES)
def test_layer_matches_pygs_with_the_same_state_dict(kind, options):
    pyg = _pyg()
    torch.manual_seed(3)
    n, fin, C = 30, 7, 5
    ours = (ht.GATConv if kind == "gat" else ht.GATv2Conv)(fin, C, **options)
    theirs = (pyg.GATConv if kind == "gat" else pyg.GATv2Conv)(fin, C, **options)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    edge_dim = options.get("edge_dim")
    edge_index = random_graph(n, 90, 4)
    inputs = []
    for _ in range(2):
        torch.manual_seed(5)
        x = torch.randn(n, fin, requires_grad=True)
        ea = torch.randn(edge_index.size(1), edge_dim, requires_grad=True) if edge_dim else None
        inputs.append((x, ea))
    results = []
    for layer, (x, ea) in zip((ours, theirs), inputs):
        out, (ei, alpha) = layer(x, edge_index, ea, return_attention_weights=True)
        torch.manual_seed(6)
        (out * torch.randn_like(out)).sum().backward()
        grads = {k: v.grad for k, v in layer.named_parameters()}
        results.append((out, ei, alpha, x.grad, None if ea is None else ea.grad, grads))
    (o1, e1, a1, gx1, ge1, g1), (o2, e2, a2, gx2, ge2, g2) = results
    assert torch.allclose(o1, o2, atol=1e-5)
    assert torch.equal(e1, e2)
    assert torch.allclose(a1, a2, atol=1e-5)
    assert torch.allclose(gx1, gx2, atol=1e-5)
    if ge1 is not None:
        assert torch.allclose(ge1, ge2, atol=1e-5)
    assert set(g1) == set(g2)
    for k in g1:
        assert torch.allclose(g1[k], g2[k], atol=1e-5), k
