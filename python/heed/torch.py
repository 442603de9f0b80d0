"""GATConv and GATv2Conv as torch modules that run heed's fused kernels.

Drop-in for PyG's layers of the same names (torch_geometric 2.3): the same
constructor arguments and defaults, the same parameter names and shapes (so
``load_state_dict`` from a PyG layer just works), the same
``forward(x, edge_index, edge_attr=None, return_attention_weights=None)``
and return convention, and PyG's handling of self loops (the graph's are
removed, one per node appended; attention comes back for the edges in input
order, then the loops).

The projections, the node and edge score products and the bias run in
torch; the per-edge work (scores, edge softmax, attention dropout and the
weighted sum, forward and backward) runs in heed's kernels, on the tensors'
own memory, without a per-edge copy of the features. CPU float32 only.
"""
import math

import torch
from torch import nn

from . import _heed

__all__ = ["GATConv", "GATv2Conv"]


def _glorot(t):
    # As torch_geometric.nn.inits.glorot: U(-a, a), a = sqrt(6 / (rows + cols))
    # over the last two dimensions.
    if t is not None:
        a = math.sqrt(6.0 / (t.size(-2) + t.size(-1)))
        with torch.no_grad():
            t.uniform_(-a, a)


def _numpy(t):
    # A view of the tensor's memory (heed reads it in place).
    return t.detach().contiguous().numpy()


def _check_inputs(x, edge_index, layer, in_channels):
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise ValueError(f"{layer}: x must be a 2-D tensor (nodes x features)")
    if x.size(1) != in_channels:
        raise ValueError(f"{layer}: x has {x.size(1)} features, in_channels is {in_channels}")
    if x.dtype != torch.float32 or x.device.type != "cpu":
        raise TypeError(f"{layer}: x must be a CPU float32 tensor, got {x.dtype} on {x.device}")
    if not isinstance(edge_index, torch.Tensor) or edge_index.dtype != torch.int64:
        raise TypeError(f"{layer}: edge_index must be an int64 tensor of shape (2, E)")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"{layer}: edge_index must have shape (2, E), got {tuple(edge_index.shape)}")


class _Graph:
    """The edge_index as heed's graph, kept while the same tensor comes back."""

    def __init__(self):
        self._key = None

    def get(self, edge_index, num_nodes, add_self_loops):
        key = (edge_index.data_ptr(), tuple(edge_index.shape), edge_index._version, num_nodes,
               add_self_loops)
        if key != self._key:
            g = _heed.EdgeIndexGraph(_numpy(edge_index), num_nodes, add_self_loops)
            self.graph = g
            self.edge_index = torch.from_numpy(g.edge_index)
            self.kept = torch.from_numpy(g.kept)
            self.heed_edge = torch.from_numpy(g.heed_edge)
            self.pyg_edge = torch.from_numpy(g.pyg_edge)
            self._key = key
        return self


def _edge_rows(edge_attr, cache, num_nodes, add_self_loops):
    # The edge features in heed's edge order, self loops filled with the mean
    # of each node's in-edges' features (PyG's fill_value='mean').
    if edge_attr.dim() == 1:
        edge_attr = edge_attr.view(-1, 1)
    if add_self_loops:
        kept = edge_attr.index_select(0, cache.kept)
        dst = cache.edge_index[1, : kept.size(0)]
        total = kept.new_zeros(num_nodes, kept.size(1)).index_add_(0, dst, kept)
        count = kept.new_zeros(num_nodes).index_add_(0, dst, kept.new_ones(dst.size(0)))
        edge_attr = torch.cat([kept, total / count.clamp(min=1).unsqueeze(-1)], dim=0)
    if edge_attr.size(0) != cache.graph.num_edges:
        raise ValueError(f"edge_attr has {edge_attr.size(0)} rows for {cache.graph.num_edges} edges")
    return edge_attr.index_select(0, cache.pyg_edge)


def _dropout_key(module):
    if module.training and module.dropout > 0:
        return int(torch.randint(0, 2**62, (1,)).item())
    return 0


def _pyg_attention(module, cache, alpha, key):
    # alpha in PyG's edge order, after dropout as PyG returns it in training.
    alpha = alpha.index_select(0, cache.heed_edge)
    if key:
        scales = torch.from_numpy(_heed.dropout_scales(module.dropout, key, alpha.numel()))
        alpha = alpha * scales.view(-1, alpha.size(1)).index_select(0, cache.heed_edge)
    return alpha


class _GatConv(torch.autograd.Function):
    # The whole layer but its bias in heed: the projection (BLAS), the node
    # scores, the attention and the weighted sum, and their backward.
    @staticmethod
    def forward(ctx, x, weight, att_src, att_dst, s_edge, graph, slope, p, key):
        out, alpha, z, s_src, s_dst, terms, positive = _heed.gat_conv(
            graph, _numpy(x), _numpy(weight), _numpy(att_src), _numpy(att_dst),
            None if s_edge is None else _numpy(s_edge), slope, p, key)
        out, alpha = torch.from_numpy(out), torch.from_numpy(alpha)
        state = [None if a is None else torch.from_numpy(a) for a in (terms, positive)]
        ctx.save_for_backward(x, weight, att_src, att_dst, s_edge, torch.from_numpy(z),
                              torch.from_numpy(s_src), torch.from_numpy(s_dst), alpha, out, *state)
        ctx.graph, ctx.slope, ctx.p, ctx.key = graph, slope, p, key
        ctx.mark_non_differentiable(alpha)
        return out, alpha

    @staticmethod
    def backward(ctx, grad_out, _grad_alpha):
        (x, weight, att_src, att_dst, s_edge, z, s_src, s_dst, alpha, out, terms,
         positive) = ctx.saved_tensors
        grads = _heed.gat_conv_backward(
            ctx.graph, _numpy(x), _numpy(weight), _numpy(att_src), _numpy(att_dst),
            None if s_edge is None else _numpy(s_edge), _numpy(z), _numpy(s_src), _numpy(s_dst),
            _numpy(alpha), _numpy(out), None if terms is None else _numpy(terms),
            None if positive is None else _numpy(positive), _numpy(grad_out), ctx.slope, ctx.p,
            ctx.key, ctx.needs_input_grad[0])
        g = [None if a is None else torch.from_numpy(a) for a in grads]
        return g[0], g[1], g[2], g[3], g[4], None, None, None, None


class _Gatv2Attention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x_src, x_dst, att, x_edge, graph, heads, slope, p, key):
        out, alpha, terms = _heed.gatv2_attention(graph, _numpy(x_src), _numpy(x_dst),
                                                  _numpy(att).reshape(-1),
                                                  None if x_edge is None else _numpy(x_edge),
                                                  heads, slope, p, key)
        out, alpha = torch.from_numpy(out), torch.from_numpy(alpha)
        ctx.save_for_backward(x_src, x_dst, att, x_edge, torch.from_numpy(terms), out)
        ctx.graph, ctx.heads, ctx.slope, ctx.p, ctx.key = graph, heads, slope, p, key
        ctx.mark_non_differentiable(alpha)
        return out, alpha

    @staticmethod
    def backward(ctx, grad_out, _grad_alpha):
        x_src, x_dst, att, x_edge, terms, out = ctx.saved_tensors
        grads = _heed.gatv2_attention_backward(
            ctx.graph, _numpy(x_src), _numpy(x_dst), _numpy(att).reshape(-1),
            None if x_edge is None else _numpy(x_edge), ctx.heads, ctx.slope, ctx.p, ctx.key,
            _numpy(terms), _numpy(out), _numpy(grad_out))
        g = [None if a is None else torch.from_numpy(a) for a in grads]
        return g[0], g[1], g[2].view_as(att), g[3], None, None, None, None, None


def _finish(module, out, alpha, cache, key, return_attention_weights):
    H, C = module.heads, module.out_channels
    out = out if module.concat else out.view(-1, H, C).mean(dim=1)
    if module.bias is not None:
        out = out + module.bias
    if isinstance(return_attention_weights, bool):
        return out, (cache.edge_index, _pyg_attention(module, cache, alpha, key))
    return out


class GATConv(nn.Module):
    """GATConv (Velickovic et al., ICLR 2018), as torch_geometric.nn.GATConv.

    e_ij = LeakyReLU(a_dst . W x_i + a_src . W x_j [+ a_edge . W_e e_ij]),
    alpha = softmax_j(e_ij), h_i = sum_j alpha_ij W x_j (heads concatenated
    or averaged) + bias.
    """

    def __init__(self, in_channels, out_channels, heads=1, concat=True, negative_slope=0.2,
                 dropout=0.0, add_self_loops=True, edge_dim=None, fill_value="mean", bias=True):
        super().__init__()
        if not isinstance(in_channels, int):
            raise ValueError("heed.torch.GATConv: in_channels must be an int (bipartite layers "
                             "are not supported)")
        if fill_value != "mean":
            raise ValueError("heed.torch.GATConv: only fill_value='mean' is supported")
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.concat, self.negative_slope, self.dropout = concat, negative_slope, dropout
        self.add_self_loops, self.edge_dim, self.fill_value = add_self_loops, edge_dim, fill_value
        self.lin_src = nn.Linear(in_channels, heads * out_channels, bias=False)
        self.lin_dst = self.lin_src
        self.att_src = nn.Parameter(torch.empty(1, heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_channels))
        if edge_dim is not None:
            self.lin_edge = nn.Linear(edge_dim, heads * out_channels, bias=False)
            self.att_edge = nn.Parameter(torch.empty(1, heads, out_channels))
        else:
            self.lin_edge = None
            self.register_parameter("att_edge", None)
        width = heads * out_channels if concat else out_channels
        self.bias = nn.Parameter(torch.empty(width)) if bias else None
        self._graph = _Graph()
        self.reset_parameters()

    def reset_parameters(self):
        _glorot(self.lin_src.weight)
        if self.lin_edge is not None:
            _glorot(self.lin_edge.weight)
        _glorot(self.att_src)
        _glorot(self.att_dst)
        _glorot(self.att_edge)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x, edge_index, edge_attr=None, return_attention_weights=None):
        _check_inputs(x, edge_index, "GATConv", self.in_channels)
        H, C = self.heads, self.out_channels
        n = x.size(0)
        cache = self._graph.get(edge_index, n, self.add_self_loops)
        s_edge = None
        if edge_attr is not None and self.lin_edge is not None:
            rows = _edge_rows(edge_attr, cache, n, self.add_self_loops)
            s_edge = (self.lin_edge(rows).view(-1, H, C) * self.att_edge).sum(dim=-1)
        key = _dropout_key(self)
        out, alpha = _GatConv.apply(x, self.lin_src.weight, self.att_src, self.att_dst, s_edge,
                                    cache.graph, float(self.negative_slope),
                                    float(self.dropout) if self.training else 0.0, key)
        return _finish(self, out, alpha, cache, key, return_attention_weights)

    def __repr__(self):
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, heads={self.heads})"


class GATv2Conv(nn.Module):
    """GATv2Conv (Brody et al., ICLR 2022), as torch_geometric.nn.GATv2Conv.

    e_ij = a . LeakyReLU(W_r x_i + W_l x_j [+ W_e e_ij]), alpha =
    softmax_j(e_ij), h_i = sum_j alpha_ij W_l x_j (heads concatenated or
    averaged) + bias. With bias, W_l and W_r have biases too, as in PyG.
    """

    def __init__(self, in_channels, out_channels, heads=1, concat=True, negative_slope=0.2,
                 dropout=0.0, add_self_loops=True, edge_dim=None, fill_value="mean", bias=True,
                 share_weights=False):
        super().__init__()
        if not isinstance(in_channels, int):
            raise ValueError("heed.torch.GATv2Conv: in_channels must be an int (bipartite layers "
                             "are not supported)")
        if fill_value != "mean":
            raise ValueError("heed.torch.GATv2Conv: only fill_value='mean' is supported")
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.concat, self.negative_slope, self.dropout = concat, negative_slope, dropout
        self.add_self_loops, self.edge_dim, self.fill_value = add_self_loops, edge_dim, fill_value
        self.share_weights = share_weights
        self.lin_l = nn.Linear(in_channels, heads * out_channels, bias=bias)
        self.lin_r = self.lin_l if share_weights else nn.Linear(in_channels, heads * out_channels,
                                                                bias=bias)
        self.att = nn.Parameter(torch.empty(1, heads, out_channels))
        self.lin_edge = (nn.Linear(edge_dim, heads * out_channels, bias=False)
                         if edge_dim is not None else None)
        width = heads * out_channels if concat else out_channels
        self.bias = nn.Parameter(torch.empty(width)) if bias else None
        self._graph = _Graph()
        self.reset_parameters()

    def reset_parameters(self):
        for lin in (self.lin_l, self.lin_r, self.lin_edge):
            if lin is not None:
                _glorot(lin.weight)
                if lin.bias is not None:
                    nn.init.zeros_(lin.bias)
        _glorot(self.att)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x, edge_index, edge_attr=None, return_attention_weights=None):
        _check_inputs(x, edge_index, "GATv2Conv", self.in_channels)
        n = x.size(0)
        cache = self._graph.get(edge_index, n, self.add_self_loops)
        x_l = self.lin_l(x)
        x_r = x_l if self.share_weights else self.lin_r(x)
        x_edge = None
        if edge_attr is not None and self.lin_edge is not None:
            x_edge = self.lin_edge(_edge_rows(edge_attr, cache, n, self.add_self_loops))
        key = _dropout_key(self)
        out, alpha = _Gatv2Attention.apply(x_l, x_r, self.att, x_edge, cache.graph, self.heads,
                                           float(self.negative_slope),
                                           float(self.dropout) if self.training else 0.0, key)
        return _finish(self, out, alpha, cache, key, return_attention_weights)

    def __repr__(self):
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, heads={self.heads})"
