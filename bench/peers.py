#!/usr/bin/python3
# Peer baselines for bench_train: network.py's algorithm (sigmoid layers, quadratic
# cost, plain mini-batch SGD, w -= eta/m * sum of per-sample gradients), batched
# matrix-matrix per mini-batch, in numpy and in PyTorch, float32, one thread unless
# --threads N (OpenBLAS and PyTorch then use N).
# Prints one JSON line per (peer, model, batch) and a table. Run with Debian's
# /usr/bin/python3 (numpy 1.24, torch 1.13) with libopenblas0-pthread installed.
import os
import sys

# Threads and the OpenBLAS kernel must be fixed before numpy/torch load.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine for old OpenBLAS
# builds; they force a slower kernel on the current one, so for a fair peer we run
# without both (in this process only) unless --keep-coretype is given.
_KEEP = "--keep-coretype" in sys.argv
if not _KEEP and "NNLAB_PEERS_FORCED" not in os.environ and (
        "OPENBLAS_CORETYPE" in os.environ or "OPENBLAS_L2_SIZE" in os.environ):
    env = dict(os.environ)
    env["NNLAB_PEERS_UNSET"] = ",".join(k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                                        if k in env)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)
_THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv[:-1] else "1"
for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[k] = _THREADS

import argparse  # noqa: E402
import ctypes  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

DEFAULT_MODELS = "784,30,10:10 784,30,10:100 784,100,10:10 784,100,10:100"


def flops_per_sample(sizes):
    # The convention: forward, dinp and dweight, 2 FLOPs per MAC each.
    return 6 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def find_data(arg):
    here = os.path.dirname(os.path.abspath(__file__))
    cands = [arg] if arg else [os.path.join(here, "..", "data", "fashion"),
                              "/usr/share/datasets/fashion-mnist"]
    for d in cands:
        for ext in (".gz", ""):
            if os.path.exists(os.path.join(d, "train-images-idx3-ubyte" + ext)):
                return d, ext
    sys.exit("peers.py: no train-images-idx3-ubyte[.gz] in " + ", ".join(cands))


def read_idx(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def loaded_blas():
    """Paths of the BLAS libraries mapped into this process, and OpenBLAS's core name."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            base = os.path.basename(p)
            if ("blas" in base or "mkl" in base) and ".so" in base:
                libs.add(os.path.realpath(p))
    core = None
    for p in sorted(libs):
        try:
            lib = ctypes.CDLL(p)
            fn = lib.openblas_get_corename
            fn.restype = ctypes.c_char_p
            core = fn().decode()
            cfg = lib.openblas_get_config
            cfg.restype = ctypes.c_char_p
            core += " (" + cfg().decode().strip() + ")"
            break
        except (OSError, AttributeError):
            continue
    return sorted(libs), core


def fix_unknown_cpu():
    """OpenBLAS 0.3.21 (Debian 12) does not know some newer CPUs (seen: an Intel Xeon
    with AVX-512) and falls back to its Prescott (SSE3) kernels, 5-6x slower: such a
    peer would be a straw man. Then run again with the kernel the CPU's flags allow."""
    if _KEEP or "OPENBLAS_CORETYPE" in os.environ:
        return
    _, core = loaded_blas()
    if not core or not core.startswith("Prescott"):
        return
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        want = "SkylakeX"
    elif {"avx2", "fma"} <= flags:
        want = "Haswell"
    else:
        return
    env = dict(os.environ, OPENBLAS_CORETYPE=want,
               NNLAB_PEERS_FORCED="%s (OpenBLAS picked %s on this CPU)" % (want, core.split()[0]))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def init_params(sizes, rng):
    # N(0,1) as network.py; float32 throughout.
    ws = [rng.standard_normal((o, i)).astype(np.float32) for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [rng.standard_normal(o).astype(np.float32) for o in sizes[1:]]
    return ws, bs


def epoch_numpy(X, Y1h, sizes, m, eta, n_samples, ws, bs, rng):
    """One epoch (n_samples) of batched SGD in numpy with preallocated buffers."""
    L = len(ws)
    perm = rng.permutation(X.shape[0])[:n_samples]
    scale = np.float32(eta / m)
    # Activations a[l] (m, sizes[l]); deltas d[l] (m, sizes[l+1]); grads as params.
    a = [None] + [np.empty((m, s), np.float32) for s in sizes[1:]]
    d = [np.empty((m, s), np.float32) for s in sizes[1:]]
    tmp = [np.empty((m, s), np.float32) for s in sizes[1:]]
    dw = [np.empty_like(w) for w in ws]
    db = [np.empty_like(b) for b in bs]
    for s in range(0, n_samples - m + 1, m):
        idx = perm[s:s + m]
        a[0] = X[idx]                      # (m, 784) gather
        y = Y1h[idx]                       # (m, 10)
        for l in range(L):
            np.dot(a[l], ws[l].T, out=a[l + 1])
            a[l + 1] += bs[l]
            np.negative(a[l + 1], out=a[l + 1])     # sigmoid(z) = 1/(1+exp(-z))
            np.exp(a[l + 1], out=a[l + 1])
            a[l + 1] += 1.0
            np.reciprocal(a[l + 1], out=a[l + 1])
        # output delta: (a - y) * a * (1 - a)
        out = a[L]
        np.subtract(out, y, out=d[L - 1])
        np.subtract(1.0, out, out=tmp[L - 1])
        tmp[L - 1] *= out
        d[L - 1] *= tmp[L - 1]
        for l in range(L - 1, -1, -1):
            np.dot(d[l].T, a[l], out=dw[l])
            np.sum(d[l], axis=0, out=db[l])
            if l > 0:
                np.dot(d[l], ws[l], out=d[l - 1])
                np.subtract(1.0, a[l], out=tmp[l - 1])
                tmp[l - 1] *= a[l]
                d[l - 1] *= tmp[l - 1]
        for l in range(L):
            dw[l] *= scale
            ws[l] -= dw[l]
            db[l] *= scale
            bs[l] -= db[l]


def epoch_torch(torch, X, Y1h, sizes, m, eta, n_samples, ws, bs, gen):
    """The same epoch in PyTorch (explicit backprop, no autograd tape, in-place ops)."""
    L = len(ws)
    perm = torch.randperm(X.shape[0], generator=gen)[:n_samples]
    scale = eta / m
    a = [None] + [torch.empty((m, s)) for s in sizes[1:]]
    d = [torch.empty((m, s)) for s in sizes[1:]]
    tmp = [torch.empty((m, s)) for s in sizes[1:]]
    dw = [torch.empty_like(w) for w in ws]
    db = [torch.empty_like(b) for b in bs]
    for s in range(0, n_samples - m + 1, m):
        idx = perm[s:s + m]
        a[0] = X.index_select(0, idx)
        y = Y1h.index_select(0, idx)
        for l in range(L):
            torch.addmm(bs[l], a[l], ws[l].t(), out=a[l + 1])
            torch.sigmoid(a[l + 1], out=a[l + 1])
        out = a[L]
        torch.sub(out, y, out=d[L - 1])
        torch.mul(out, out, out=tmp[L - 1])   # a(1-a) = a - a^2
        torch.sub(out, tmp[L - 1], out=tmp[L - 1])
        d[L - 1].mul_(tmp[L - 1])
        for l in range(L - 1, -1, -1):
            torch.mm(d[l].t(), a[l], out=dw[l])
            torch.sum(d[l], 0, out=db[l])
            if l > 0:
                torch.mm(d[l], ws[l], out=d[l - 1])
                torch.mul(a[l], a[l], out=tmp[l - 1])
                torch.sub(a[l], tmp[l - 1], out=tmp[l - 1])
                d[l - 1].mul_(tmp[l - 1])
        for l in range(L):
            ws[l].add_(dw[l], alpha=-scale)
            bs[l].add_(db[l], alpha=-scale)


def torch_net(torch, text):
    """The engine's net text form ("784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax")
    as an nn.Sequential on (B, C, H, W) input, the softmax left to cross_entropy."""
    nn = torch.nn
    parts = text.split("-")
    dims = [int(v) for v in parts[0].split("x")]
    c, h, w = dims if len(dims) == 3 else (1, int(round(dims[0] ** 0.5)), int(round(dims[0] ** 0.5)))
    shape = [c, h, w]
    layers, flat = [], False
    for p in parts[1:]:
        if p.startswith("conv"):
            same = p.endswith("same")
            f, k = (int(v) for v in p[4:len(p) - 4 * same].split("x"))
            layers.append(nn.Conv2d(c, f, k, padding=(k - 1) // 2 if same else 0))
            c, h, w = f, (h if same else h - k + 1), (w if same else w - k + 1)
        elif p.startswith("pool"):
            k, _, st = p[4:].partition("s")
            k, st = int(k), int(st or k)
            layers.append(nn.MaxPool2d(k, st))
            h, w = (h - k) // st + 1, (w - k) // st + 1
        elif p.startswith("dropout"):
            layers.append(nn.Dropout(float(p[7:])))
        elif p.startswith("fc"):
            if not flat:
                layers.append(nn.Flatten())
                flat = True
            layers.append(nn.Linear(c * h * w, int(p[2:])))
            c, h, w = int(p[2:]), 1, 1
        elif p in ("sigmoid", "tanh", "relu"):
            layers.append({"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}[p]())
        elif p != "softmax":
            sys.exit("peers.py: unknown layer '%s' in %s" % (p, text))
    return nn.Sequential(*layers), shape


def epoch_torch_net(torch, model, opt, X, y, shape, m, n_samples, gen, times=None):
    """One epoch of the net in PyTorch as its users write it: autograd, cross_entropy
    (softmax + log-likelihood), torch.optim.SGD (w -= eta * the batch's mean gradient).
    Appends each batch's seconds to `times` if given."""
    model.train()
    perm = torch.randperm(X.shape[0], generator=gen)[:n_samples]
    F = torch.nn.functional
    for s in range(0, n_samples - m + 1, m):
        t0 = time.perf_counter()
        idx = perm[s:s + m]
        xb = X.index_select(0, idx).view(m, *shape)
        loss = F.cross_entropy(model(xb), y.index_select(0, idx))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if times is not None:
            times.append(time.perf_counter() - t0)


def accuracy(Xt, yt, ws, bs):
    a = Xt
    for w, b in zip(ws, bs):
        a = 1.0 / (1.0 + np.exp(-(a @ w.T + b)))
    return float((a.argmax(1) == yt).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=None, help="dir with the Fashion-MNIST IDX files")
    ap.add_argument("--models", default=DEFAULT_MODELS,
                    help='space-separated "sizes:batch", default "%s"' % DEFAULT_MODELS)
    ap.add_argument("--peers", default="numpy,torch")
    ap.add_argument("--samples", type=int, default=60000, help="samples per timed epoch")
    ap.add_argument("--repeats", type=int, default=3, help="timed epochs; the best is reported")
    ap.add_argument("--eta", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    ap.add_argument("--keep-coretype", action="store_true",
                    help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE from the environment")
    ap.add_argument("--check", action="store_true", help="also print test accuracy after training")
    ap.add_argument("--json-only", action="store_true")
    args = ap.parse_args()
    fix_unknown_cpu()

    ddir, ext = find_data(args.data)
    X8 = read_idx(os.path.join(ddir, "train-images-idx3-ubyte" + ext))
    y = read_idx(os.path.join(ddir, "train-labels-idx1-ubyte" + ext)).astype(np.int64)
    X = (X8.reshape(X8.shape[0], -1).astype(np.float32) / np.float32(255.0))
    Y1h = np.zeros((X.shape[0], 10), np.float32)
    Y1h[np.arange(X.shape[0]), y] = 1.0
    Xt = yt = None
    if args.check:
        X8t = read_idx(os.path.join(ddir, "t10k-images-idx3-ubyte" + ext))
        Xt = X8t.reshape(X8t.shape[0], -1).astype(np.float32) / np.float32(255.0)
        yt = read_idx(os.path.join(ddir, "t10k-labels-idx1-ubyte" + ext))
    n_samples = min(args.samples, X.shape[0])

    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    torch = None
    if "torch" in peers:
        try:
            import torch as _torch
        except ImportError:
            print("peers.py: warning: no torch (apt-get install python3-torch); skipping it",
                  file=sys.stderr)
            peers.remove("torch")
        else:
            torch = _torch
            torch.set_num_threads(args.threads)
            Xtorch, Ytorch = torch.from_numpy(X), torch.from_numpy(Y1h)
    libs, core = loaded_blas()
    env_note = os.environ.get("NNLAB_PEERS_UNSET", "")
    meta = {"kind": "peers_env", "numpy": np.__version__,
            "torch": torch.__version__ if torch else None,
            "torch_threads": torch.get_num_threads() if torch else None,
            "blas_libs": libs, "openblas_core": core,
            "unset_for_this_run": env_note.split(",") if env_note else [],
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
            "coretype_forced": os.environ.get("NNLAB_PEERS_FORCED")}
    print(json.dumps(meta), flush=True)
    if not any("openblas" in p for p in libs):
        print("peers.py: warning: OpenBLAS is not the BLAS in use (install libopenblas0-pthread);"
              " the reference BLAS is ~5x slower and not a fair peer", file=sys.stderr)

    rows = []
    for spec in args.models.split():
        sizes_s, batch_s = spec.split(":")
        m = int(batch_s)
        if "-" in sizes_s:  # a net in the engine's text form: PyTorch only (numpy has no conv)
            if torch is None:
                continue
            torch.set_grad_enabled(True)
            torch.manual_seed(1)
            model, shape = torch_net(torch, sizes_s)
            opt = torch.optim.SGD(model.parameters(), lr=args.eta)
            gen = torch.Generator().manual_seed(1)
            ylong = torch.from_numpy(y)
            run = lambda n, t=None: epoch_torch_net(torch, model, opt, Xtorch, ylong, shape, m, n, gen, t)  # noqa
            run(min(n_samples, 200 * m))
            best, best_p20 = None, None
            for _ in range(args.repeats):
                times = []
                t0 = time.perf_counter()
                run(n_samples, times)
                dt = time.perf_counter() - t0
                best = dt if best is None else min(best, dt)
                p20 = sorted(times)[len(times) // 5]  # as bench_train: the batches' 20th percentile
                best_p20 = p20 if best_p20 is None else min(best_p20, p20)
            done = (n_samples // m) * m
            row = {"kind": "peer", "peer": "torch", "sizes": sizes_s, "batch": m, "samples": done,
                   "seconds": round(best, 4), "samples_per_sec": round(done / best, 1),
                   "p20_samples_per_sec": round(m / best_p20, 1), "gflops": 0, "threads": args.threads}
            rows.append(row)
            print(json.dumps(row), flush=True)
            continue
        sizes = [int(v) for v in sizes_s.split(",")]
        for peer in peers:
            rng = np.random.default_rng(1)
            ws, bs = init_params(sizes, rng)
            if peer == "torch":
                tws = [torch.from_numpy(w.copy()) for w in ws]
                tbs = [torch.from_numpy(b.copy()) for b in bs]
                gen = torch.Generator().manual_seed(1)
                run = lambda n: epoch_torch(torch, Xtorch, Ytorch, sizes, m, args.eta, n,  # noqa
                                            tws, tbs, gen)
            elif peer == "numpy":
                run = lambda n: epoch_numpy(X, Y1h, sizes, m, args.eta, n, ws, bs, rng)  # noqa
            else:
                sys.exit("peers.py: unknown peer '%s' (numpy, torch)" % peer)
            if torch is not None:
                torch.set_grad_enabled(False)
            run(min(n_samples, 200 * m))  # warm-up: caches, allocator, BLAS buffers
            best = None
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                run(n_samples)
                dt = time.perf_counter() - t0
                best = dt if best is None else min(best, dt)
            done = (n_samples // m) * m
            sps = done / best
            row = {"kind": "peer", "peer": peer, "sizes": sizes, "batch": m, "samples": done,
                   "seconds": round(best, 4), "samples_per_sec": round(sps, 1),
                   "gflops": round(sps * flops_per_sample(sizes) / 1e9, 3), "threads": args.threads}
            if args.check:
                if peer == "torch":
                    ws_np = [w.numpy() for w in tws]
                    bs_np = [b.numpy() for b in tbs]
                else:
                    ws_np, bs_np = ws, bs
                row["test_accuracy"] = round(accuracy(Xt, yt, ws_np, bs_np), 4)
            rows.append(row)
            print(json.dumps(row), flush=True)

    if not args.json_only:
        print("\n%-8s %-14s %6s %12s %9s" % ("peer", "sizes", "batch", "samples/s", "GFLOP/s"))
        for r in rows:
            sz = r["sizes"] if isinstance(r["sizes"], str) else ",".join(map(str, r["sizes"]))
            print("%-8s %-14s %6d %12.0f %9.2f" % (r["peer"], sz,
                                                  r["batch"], r["samples_per_sec"], r["gflops"]))
        print("BLAS: %s; OpenBLAS core: %s%s" % (", ".join(libs) or "?", core,
              "; unset for this run: " + env_note if env_note else ""))


if __name__ == "__main__":
    main()
