#!/usr/bin/python3
"""PyTorch port of the C++ flow model, for the training-throughput comparison.

    /usr/bin/python3 bench/bench_flow_pytorch.py [--config C] [--threads N] [--seconds S]
                                                 [--json] [--check] [--data IDX]

Builds, module for module, the architecture that src/flow/{layers,flow_model}.cc build for
the same config file (same parameter shapes, same construction order, same RNG calls, so with
the same seed the initial parameters equal the C++ ones), and times it exactly like
bench/bench_flow.cc: one data-dependent-init call, then forward + backward of the mean bpd
on a random uint8 batch of the config's batch size (no optimizer step), then forward-only
evaluation at batch 1 and batch 64. Use Debian's /usr/bin/python3 (torch 1.13, the same
LibTorch the C++ code links).

--check: print the parameter count and the initial bpd (no timing). With --data (an IDX
file, optionally .gz, e.g. /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz) the
initial bpd is computed on the first `batch` images of that file instead of random bytes.
"""

import argparse
import ctypes
import ctypes.util
import gzip
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_CONFIG = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                              "configs", "fmnist_flowpp.cfg"))


# ---- config (src/det/flow_config.cc) --------------------------------------------------------

class ConfigError(Exception):
    pass


def default_config():
    return dict(channels=1, height=28, width=28, base_squeezes=1, dequant="variational",
                dequant_couplings=4, dequant_filters=32, dequant_blocks=1,
                dequant_context_blocks=2, coupling="mixture", components=4, filters=64,
                blocks=1, attention=True, attention_max_positions=0, heads=4, dropout=0.0,
                actnorm="activation", logit_alpha=0.05, steps=[], lr=1e-3, warmup_steps=200,
                batch=64, grad_clip=100.0, ema_decay=0.999, seed=1)


def parse_flow_config(text, origin):
    c = default_config()
    line = 0

    def fail(what):
        raise ConfigError("%s:%d: %s" % (origin, line, what))

    for line, raw in enumerate(text.split("\n"), start=1):
        s = raw.split("#", 1)[0].strip(" \t\r")
        if not s:
            continue
        if "=" not in s:
            fail("expected `key = value`, got `%s`" % s)
        key, value = (t.strip(" \t\r") for t in s.split("=", 1))

        def as_int(lo, hi):
            try:
                v = int(value)
            except ValueError:
                v = None
            if v is None or not lo <= v <= hi:
                fail("%s must be an integer in [%d, %d], got `%s`" % (key, lo, hi, value))
            return v

        def as_double(lo, hi):
            try:
                v = float(value)
            except ValueError:
                v = None
            if v is None or not lo <= v <= hi:
                fail("%s must be a number in [%g, %g], got `%s`" % (key, lo, hi, value))
            return v

        def choose(*options):
            if value not in options:
                fail("%s must be one of %s, got `%s`" % (key, " | ".join(options), value))
            return value

        if key == "image":
            try:
                ch, h, w = (int(t) for t in value.split("x"))
            except ValueError:
                ch = h = w = 0
            if ch not in (1, 3) or not 2 <= h <= 4096 or not 2 <= w <= 4096:
                fail("image must be CxHxW with C in {1,3}, got `%s`" % value)
            c["channels"], c["height"], c["width"] = ch, h, w
        elif key == "base_squeezes": c[key] = as_int(0, 4)
        elif key == "dequant": c[key] = choose("uniform", "variational")
        elif key == "dequant_couplings": c[key] = as_int(1, 64)
        elif key == "dequant_filters": c[key] = as_int(1, 4096)
        elif key == "dequant_blocks": c[key] = as_int(0, 64)
        elif key == "dequant_context_blocks": c[key] = as_int(0, 64)
        elif key == "coupling": c[key] = choose("affine", "mixture")
        elif key == "components": c[key] = as_int(1, 256)
        elif key == "filters": c[key] = as_int(1, 4096)
        elif key == "blocks": c[key] = as_int(0, 64)
        elif key == "attention": c[key] = choose("0", "1") == "1"
        elif key == "attention_max_positions": c[key] = as_int(0, 1 << 24)
        elif key == "heads": c[key] = as_int(1, 64)
        elif key == "dropout": c[key] = as_double(0.0, 0.9)
        elif key == "actnorm": c[key] = choose("channel", "activation")
        elif key == "logit_alpha": c[key] = as_double(1e-6, 0.25)
        elif key == "lr": c[key] = as_double(1e-7, 1.0)
        elif key == "warmup_steps": c[key] = as_int(0, 1000000)
        elif key == "batch": c[key] = as_int(1, 65536)
        elif key == "grad_clip": c[key] = as_double(0.0, 1e9)
        elif key == "ema_decay": c[key] = as_double(0.0, 0.999999)
        elif key == "seed": c[key] = as_int(0, 2000000000)
        elif key == "flow":
            c["steps"] = []
            for w in value.split():
                if w not in ("checker", "channel", "squeeze", "split"):
                    fail("unknown flow step `%s` (checker | channel | squeeze | split)" % w)
                c["steps"].append(w)
        else:
            fail("unknown key `%s`" % key)
    if not c["steps"]:
        fail("missing `flow = ...` (the list of flow steps)")
    ch, h, w = c["channels"], c["height"], c["width"]

    def squeeze(where):
        nonlocal ch, h, w
        if h % 2 or w % 2:
            fail("%s: cannot squeeze %dx%dx%d (odd size)" % (where, ch, h, w))
        ch, h, w = ch * 4, h // 2, w // 2

    for _ in range(c["base_squeezes"]):
        squeeze("base_squeezes")
    if c["dequant"] == "variational" and ch < 2 and c["dequant_couplings"] > 1:
        fail("variational dequantization needs >= 2 channels after base_squeezes")
    for s in c["steps"]:
        if s == "squeeze":
            squeeze("flow")
        if s in ("channel", "split") and ch < 2:
            fail("%s needs >= 2 channels" % s)
        if s == "split":
            ch -= ch // 2
    return c


def load_flow_config(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ConfigError("%s: cannot open config file" % path)
    return parse_flow_config(text, path)


# ---- conditioner blocks (src/flow/layers.cc) ---------------------------------------------------

class WnConv2d(nn.Module):
    """Weight-normalized convolution: w = g · v / ||v|| per output channel, same padding."""

    def __init__(self, cin, cout, kernel, zero_init):
        super().__init__()
        self.pad = kernel // 2
        v = torch.randn(cout, cin, kernel, kernel) * math.sqrt(1.0 / float(cin * kernel * kernel))
        norms = v.detach().flatten(1).norm(2, 1)
        self.v = nn.Parameter(v)
        self.g = nn.Parameter(torch.zeros(cout) if zero_init else norms.clone())
        self.bias = nn.Parameter(torch.zeros(cout))

    def weight(self):
        norms = self.v.flatten(1).norm(2, 1).clamp_min(1e-12)
        return self.v * (self.g / norms).view(-1, 1, 1, 1)

    def forward(self, x):
        return F.conv2d(x, self.weight(), self.bias, 1, self.pad)


class ChannelNorm(nn.Module):
    """Layer norm over the channel dimension, independently at each position."""

    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        mean = x.mean(1, keepdim=True)
        centered = x - mean
        var = centered.pow(2).mean(1, True)
        return centered * torch.rsqrt(var + 1e-5) * self.weight + self.bias


class GatedConv(nn.Module):
    """x + a ⊙ σ(b), [a, b] = conv(elu(conv(elu(x))))."""

    def __init__(self, channels, dropout):
        super().__init__()
        self.dropout = dropout
        self.conv1 = WnConv2d(channels, channels, 3, False)
        self.conv2 = WnConv2d(channels, 2 * channels, 3, False)

    def forward(self, x):
        h = F.elu(self.conv1(F.elu(x)))
        if self.dropout > 0:
            h = F.dropout(h, self.dropout, self.training)
        a, b = self.conv2(h).chunk(2, 1)
        return x + a * torch.sigmoid(b)


class GatedAttention(nn.Module):
    """x + a ⊙ σ(b), [a, b] = proj(multi-head self-attention over all H·W positions)."""

    def __init__(self, channels, heads):
        super().__init__()
        assert channels % heads == 0, "attention: channels must be divisible by heads"
        self.heads = heads
        self.qkv = WnConv2d(channels, 3 * channels, 1, False)
        self.proj = WnConv2d(channels, 2 * channels, 1, False)

    def forward(self, x):
        n, c, h, w = x.shape
        dh = c // self.heads
        t = self.qkv(x).view(n, 3, self.heads, dh, h * w)
        q, k, v = t.select(1, 0), t.select(1, 1), t.select(1, 2)  # [N, heads, dh, HW]
        scores = torch.matmul(q.transpose(2, 3), k) / math.sqrt(float(dh))
        attn = torch.softmax(scores, -1)
        o = torch.matmul(v, attn.transpose(2, 3)).reshape(n, c, h, w)
        a, b = self.proj(o).chunk(2, 1)
        return x + a * torch.sigmoid(b)


class Conditioner(nn.Module):
    """conv_in -> blocks × [gated conv, norm, (gated attention, norm)] -> elu -> conv_out."""

    def __init__(self, cin, filters, cout, blocks, attention, heads, dropout):
        super().__init__()
        self.conv_in = WnConv2d(cin, filters, 3, False)
        self.convs, self.attns, self.norms = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        for _ in range(blocks):
            self.convs.append(GatedConv(filters, dropout))
            self.norms.append(ChannelNorm(filters))
            if attention:
                self.attns.append(GatedAttention(filters, heads))
                self.norms.append(ChannelNorm(filters))
        self.conv_out = WnConv2d(filters, cout, 3, True)

    def forward(self, x):
        h = self.conv_in(x)
        norm = 0
        for b in range(len(self.convs)):
            h = self.norms[norm](self.convs[b](h))
            norm += 1
            if len(self.attns) > 0:
                h = self.norms[norm](self.attns[b](h))
                norm += 1
        return self.conv_out(F.elu(h))


# ---- logistic mixture transform ---------------------------------------------------------------

def mixture_forward(x, a, b, log_pi, mu, log_s):
    """y = σ^{-1}(Σ_k π_k σ((x − μ_k)/s_k)) · exp(a) + b; returns (y, log ∂y/∂x)."""
    t = (x.unsqueeze(1) - mu) * torch.exp(-log_s)
    ls_pos, ls_neg = F.logsigmoid(t), F.logsigmoid(-t)
    log_c = torch.logsumexp(log_pi + ls_pos, 1)
    log_1mc = torch.logsumexp(log_pi + ls_neg, 1)
    log_pdf = torch.logsumexp(log_pi + ls_pos + ls_neg - log_s, 1)
    log_deriv = log_pdf - log_c - log_1mc + a
    return (log_c - log_1mc) * torch.exp(a) + b, log_deriv


# ---- layers ---------------------------------------------------------------------------------
# forward(x, logdet, ctx) -> (y, logdet): the C++ `Tensor* logdet` accumulator made explicit.

def squeeze2x2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(
        n, c * 4, h // 2, w // 2)


class Squeeze(nn.Module):
    def forward(self, x, logdet, ctx):
        return squeeze2x2(x), logdet


class ActNorm(nn.Module):
    """y = (x + bias) · exp(logs), per channel or per activation, data-dependent init."""

    def __init__(self, c, h, w, kind):
        super().__init__()
        per_channel = kind == "channel"
        shape = (1, c, 1, 1) if per_channel else (1, c, h, w)
        self.positions = h * w if per_channel else 1
        self.bias = nn.Parameter(torch.zeros(shape))
        self.logs = nn.Parameter(torch.zeros(shape))
        self.register_buffer("initialized", torch.zeros(()))

    def forward(self, x, logdet, ctx):
        if self.training and self.initialized.item() == 0:
            with torch.no_grad():
                dims = [0] if self.positions == 1 else [0, 2, 3]
                mean = x.mean(dims, True)
                std = (x - mean).pow(2).mean(dims, True).sqrt()
                self.bias.copy_(-mean)
                self.logs.copy_(-torch.log(std.clamp_min(1e-2)))
                self.initialized.fill_(1)
        logdet = logdet + self.logs.sum() * float(self.positions)
        return (x + self.bias) * torch.exp(self.logs), logdet


class Invertible1x1(nn.Module):
    """y = W x at every pixel; log|det J| = H·W·log|det W|."""

    def __init__(self, c, seed):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        q = torch.linalg.qr(torch.randn(c, c, generator=gen, dtype=torch.float64))[0]
        self.weight = nn.Parameter(q.to(torch.float32))

    def forward(self, x, logdet, ctx):
        c = self.weight.size(0)
        logabsdet = torch.linalg.slogdet(self.weight)[1]
        logdet = logdet + logabsdet * float(x.size(2) * x.size(3))
        return F.conv2d(x, self.weight.view(c, c, 1, 1)), logdet


def make_mask(kind, parity, c, h, w):
    m = torch.zeros(1, c, h, w)
    for ch in range(c):
        for i in range(h):
            for j in range(w):
                keep = (i + j) % 2 == parity if kind == "checker" else (ch < c // 2) == (parity == 0)
                m[0, ch, i, j] = 1.0 if keep else 0.0
    return m


class Coupling(nn.Module):
    """x ⊙ m passes through and conditions an elementwise affine / logistic-mixture transform
    of x ⊙ (1 − m)."""

    def __init__(self, c, h, w, mask_kind, parity, kind, components, ctx_channels, filters,
                 blocks, attention, heads, dropout):
        super().__init__()
        self.kind = kind
        self.components = components if kind == "mixture" else 0
        k = self.components
        self.register_buffer("mask", make_mask(mask_kind, parity, c, h, w))
        self.register_buffer("mu_offset", torch.linspace(-1.5, 1.5, k).view(1, -1, 1, 1, 1)
                             if k > 1 else torch.zeros(1, max(k, 1), 1, 1, 1))
        self.scale = nn.Parameter(torch.ones(1, c, 1, 1))
        per_element = 2 + 3 * k if kind == "mixture" else 2
        self.net = Conditioner(c + 1 + ctx_channels, filters, per_element * c, blocks, attention,
                               heads, dropout)

    def conditioner_out(self, x, ctx, per_element):
        n, c, h, w = x.shape
        inputs = [x * self.mask, self.mask.narrow(1, 0, 1).expand(n, 1, h, w)]
        if ctx is not None:
            inputs.append(ctx)
        return self.net(torch.cat(inputs, 1)).view(n, per_element, c, h, w)

    def forward(self, x, logdet, ctx):
        if self.kind == "mixture":
            k = self.components
            out = self.conditioner_out(x, ctx, 2 + 3 * k)
            a = self.scale * torch.tanh(out.select(1, 0))
            b = out.select(1, 1)
            log_pi = torch.log_softmax(out.narrow(1, 2, k), 1)
            mu = out.narrow(1, 2 + k, k) + self.mu_offset
            log_s = out.narrow(1, 2 + 2 * k, k).clamp_min(-7.0)
            y, log_deriv = mixture_forward(x, a, b, log_pi, mu, log_s)
        else:
            out = self.conditioner_out(x, ctx, 2)
            log_scale, shift = self.scale * torch.tanh(out.select(1, 0)), out.select(1, 1)
            y = x * torch.exp(log_scale) + shift
            log_deriv = log_scale
        keep = self.mask
        logdet = logdet + (log_deriv * (1 - keep)).sum([1, 2, 3])
        return x * keep + y * (1 - keep), logdet


class FlowSequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList()

    def forward(self, x, logdet, ctx):
        h = x
        for layer in self.layers:
            h, logdet = layer(h, logdet, ctx)
        return h.flatten(1), logdet


class FactorOut(nn.Module):
    """x = [x1, x2]; z2 = (x2 − μ(x1)) · exp(−log σ(x1)) with a conv prior; z1 = inner(x1)."""

    def __init__(self, c, inner):
        super().__init__()
        self.kept = c - c // 2
        self.prior = WnConv2d(self.kept, 2 * (c - self.kept), 3, True)
        self.inner = inner

    def forward(self, x, logdet, ctx):
        x1, x2 = x.narrow(1, 0, self.kept), x.narrow(1, self.kept, x.size(1) - self.kept)
        mu, log_sigma = self.prior(x1).chunk(2, 1)
        z2 = (x2 - mu) * torch.exp(-log_sigma)
        logdet = logdet - log_sigma.sum([1, 2, 3])
        z1, logdet = self.inner(x1, logdet, ctx)
        return torch.cat([z1, z2.flatten(1)], 1), logdet


def standard_normal_log_prob(z):
    return (-0.5 * z.pow(2) - 0.5 * math.log(2 * math.pi)).flatten(1).sum(1)


# ---- model (src/flow/flow_model.cc) ----------------------------------------------------------

def use_attention(cfg, h, w):
    return cfg["attention"] and (cfg["attention_max_positions"] == 0
                                 or h * w <= cfg["attention_max_positions"])


def build_main_flow(cfg, start, c, h, w, counters):
    seq = FlowSequence()
    steps = cfg["steps"]
    for i in range(start, len(steps)):
        step = steps[i]
        if step == "squeeze":
            seq.layers.append(Squeeze())
            c, h, w = c * 4, h // 2, w // 2
        elif step == "split":
            kept = c - c // 2
            inner = build_main_flow(cfg, i + 1, kept, h, w, counters)  # built before the prior
            seq.layers.append(FactorOut(c, inner))
            return seq
        else:
            seq.layers.append(ActNorm(c, h, w, cfg["actnorm"]))
            if c > 1:
                seq.layers.append(Invertible1x1(c, counters["seed"]))
                counters["seed"] += 1
            parity = counters[step] % 2
            counters[step] += 1
            seq.layers.append(Coupling(c, h, w, step, parity, cfg["coupling"], cfg["components"],
                                       0, cfg["filters"], cfg["blocks"], use_attention(cfg, h, w),
                                       cfg["heads"], cfg["dropout"]))
    return seq


class Dequantizer(nn.Module):
    """q(u|x°): u = σ(T(ε; ctx(x°))), ε ~ N(0, I)."""

    def __init__(self, cfg, c, h, w):
        super().__init__()
        f = cfg["dequant_filters"]
        self.ctx_in = WnConv2d(c, f, 3, False)
        self.ctx_blocks, self.ctx_norms = nn.ModuleList(), nn.ModuleList()
        for _ in range(cfg["dequant_context_blocks"]):
            self.ctx_blocks.append(GatedConv(f, cfg["dropout"]))
            self.ctx_norms.append(ChannelNorm(f))
        self.flow = FlowSequence()
        for i in range(cfg["dequant_couplings"]):
            checker = c == 1 or i % 2 == 0
            self.flow.layers.append(Coupling(c, h, w, "checker" if checker else "channel",
                                             (i // 2) % 2, cfg["coupling"], cfg["components"], f,
                                             f, cfg["dequant_blocks"], False, cfg["heads"],
                                             cfg["dropout"]))

    def context(self, x_centered):
        h = self.ctx_in(x_centered)
        for block, norm in zip(self.ctx_blocks, self.ctx_norms):
            h = norm(block(h))
        return h

    def sample(self, x_centered, gen):
        eps = torch.randn(x_centered.shape, generator=gen, dtype=x_centered.dtype)
        ctx = self.context(x_centered)
        logdet = torch.zeros(x_centered.size(0), dtype=x_centered.dtype)
        t, logdet = self.flow(eps, logdet, ctx)
        t = t.view_as(eps)
        sig_ld = (F.logsigmoid(t) + F.logsigmoid(-t)).flatten(1).sum(1)
        log_q = standard_normal_log_prob(eps) - logdet - sig_ld
        return torch.sigmoid(t), log_q


class FlowModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        c, h, w = cfg["channels"], cfg["height"], cfg["width"]
        for _ in range(cfg["base_squeezes"]):
            c, h, w = c * 4, h // 2, w // 2
        torch.manual_seed(cfg["seed"])
        self.dequantizer = Dequantizer(cfg, c, h, w) if cfg["dequant"] == "variational" else None
        counters = {"seed": cfg["seed"] * 7919 + 1, "checker": 0, "channel": 0}
        self.flow = build_main_flow(cfg, 0, c, h, w, counters)

    def dims(self):
        return self.cfg["channels"] * self.cfg["height"] * self.cfg["width"]

    def preprocess(self, x_plus_u):
        a = self.cfg["logit_alpha"]
        scale = (1 - 2 * a) / 256.0
        p = a + scale * x_plus_u
        y = torch.log(p) - torch.log1p(-p)
        logdet = (math.log(scale) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)
        return y, logdet

    def nll_terms(self, x, gen):
        """x: uint8 [N,C,H,W]. Returns (log_pz, logdet_flow, logdet_pre, log_q), each [N]."""
        xb = x
        for _ in range(self.cfg["base_squeezes"]):
            xb = squeeze2x2(xb)
        xb = xb.to(next(self.parameters()).dtype if len(self.flow.layers) else torch.float32)
        if self.dequantizer is not None:
            u, log_q = self.dequantizer.sample(xb / 255.0 - 0.5, gen)
        else:
            u = torch.rand(xb.shape, generator=gen, dtype=xb.dtype)
            log_q = torch.zeros(xb.size(0), dtype=xb.dtype)
        y, logdet_pre = self.preprocess(xb + u)
        logdet_flow = torch.zeros(xb.size(0), dtype=y.dtype)
        z, logdet_flow = self.flow(y, logdet_flow, None)
        return standard_normal_log_prob(z), logdet_flow, logdet_pre, log_q


def bpd(terms, dims):
    log_pz, logdet_flow, logdet_pre, log_q = terms
    return (-log_pz - logdet_flow - logdet_pre + log_q) / (float(dims) * math.log(2.0))


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())


# ---- benchmark (bench/bench_flow.cc) ---------------------------------------------------------

def set_openblas_threads(n):
    """The C++ CLI calls openblas_set_num_threads(1); do the same (returns True on success)."""
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas"), "libblas.so.3"):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)  # already loaded by libtorch_cpu: same handle
            lib.openblas_set_num_threads(ctypes.c_int(n))
            return True
        except (OSError, AttributeError):
            continue
    return False


def rate(seconds, fn):
    """Runs fn repeatedly for about `seconds` (after one warm-up call); returns calls/s."""
    fn()
    start = time.perf_counter()
    calls = 0
    while True:
        fn()
        calls += 1
        t = time.perf_counter() - start
        if t >= seconds:
            return calls / t


def read_idx(path, count):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        if magic >> 8 != 0x08:
            raise SystemExit("%s: not an unsigned-byte IDX file" % path)
        ndim = magic & 0xff
        shape = struct.unpack(">%dI" % ndim, f.read(4 * ndim))
        per = 1
        for s in shape[1:]:
            per *= s
        n = min(count, shape[0])
        data = f.read(n * per)
    t = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    return t.view(n, 1, *shape[1:]) if ndim == 3 else t.view(n, *shape[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default=DEFAULT_CONFIG)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--check", action="store_true",
                    help="print parameter count and initial bpd only (no timing)")
    ap.add_argument("--data", help="IDX(.gz) images for the --check bpd instead of random bytes")
    ap.add_argument("--openblas-threads", type=int, default=1,
                    help="openblas_set_num_threads(N) like the C++ CLI (0 = leave alone)")
    args = ap.parse_args()

    threads = args.threads if args.threads > 0 else max(1, os.cpu_count() or 1)
    torch.set_num_threads(threads)
    blas_ok = set_openblas_threads(args.openblas_threads) if args.openblas_threads > 0 else False
    try:
        cfg = load_flow_config(args.config)
    except ConfigError as e:
        print("bench_flow_pytorch: %s" % e, file=sys.stderr)
        return 2
    model = FlowModel(cfg)
    gen = torch.Generator().manual_seed(1)
    batch = cfg["batch"]
    shape = (batch, cfg["channels"], cfg["height"], cfg["width"])
    x = torch.randint(0, 256, shape, generator=gen).to(torch.uint8)
    if args.data:
        x = read_idx(args.data, batch)
        if tuple(x.shape[1:]) != shape[1:]:
            raise SystemExit("%s: images are %s, the config wants %s" % (args.data, tuple(x.shape[1:]), shape[1:]))
    dims = model.dims()
    model.train()
    t0 = time.perf_counter()
    init_bpd = bpd(model.nll_terms(x, gen), dims).mean().item()  # data-dependent init
    init_s = time.perf_counter() - t0
    nparams = parameter_count(model)
    if args.check:
        print("config %s: %d parameters, %d threads, openblas_set_num_threads %s" %
              (args.config, nparams, torch.get_num_threads(), "ok" if blas_ok else "not called"))
        print("initial bpd (batch %d, %s): %.4f  (init call %.2f s)" %
              (x.size(0), args.data or "random uint8", init_bpd, init_s))
        # One timed training step, as a smoke test of the backward pass.
        for p in model.parameters():
            p.grad = None
        t0 = time.perf_counter()
        bpd(model.nll_terms(x, gen), dims).mean().backward()
        dt = time.perf_counter() - t0
        print("one forward+backward: %.2f s (%.1f images/s)" % (dt, x.size(0) / dt))
        return 0

    params = list(model.parameters())

    def train_step():
        for p in params:
            p.grad = None
        bpd(model.nll_terms(x, gen), dims).mean().backward()

    train_steps = rate(args.seconds, train_step)
    model.eval()
    with torch.no_grad():
        x1 = x.narrow(0, 0, 1)
        x64 = torch.randint(0, 256, (64,) + shape[1:], generator=gen).to(torch.uint8)
        fwd1 = rate(args.seconds / 2, lambda: model.nll_terms(x1, gen))
        fwd64 = rate(args.seconds / 2, lambda: model.nll_terms(x64, gen))
    train_ips, fwd1_ips, fwd64_ips = train_steps * batch, fwd1, fwd64 * 64
    if args.json:
        print(json.dumps({"implementation": "pytorch", "torch": torch.__version__,
                          "config": args.config, "parameters": nparams,
                          "threads": torch.get_num_threads(), "openblas_threads_set": blas_ok,
                          "batch": batch, "initial_bpd": round(init_bpd, 4),
                          "train_images_per_s": round(train_ips, 2),
                          "forward_images_per_s_batch1": round(fwd1_ips, 2),
                          "forward_images_per_s_batch64": round(fwd64_ips, 2)}))
    else:
        print("config %s: %d parameters, %d threads (PyTorch %s)" %
              (args.config, nparams, torch.get_num_threads(), torch.__version__))
        print("training (batch %d):   %8.1f images/s" % (batch, train_ips))
        print("forward, batch 1:        %8.1f images/s" % fwd1_ips)
        print("forward, batch 64:       %8.1f images/s" % fwd64_ips)
    return 0


if __name__ == "__main__":
    sys.exit(main())
