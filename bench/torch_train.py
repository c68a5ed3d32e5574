#!/usr/bin/python3
"""PyTorch twin of the cmv3 training benchmark.

Rebuilds the network from the JSON tree printed by
`node dist/src/cli/main.js summary cmv3 --width 0.5 --dump-graph`, checks that
its parameter count matches ours, then times training and inference steps and
prints one JSON line with images/s per batch size.  It is a throughput
baseline (Debian's PyTorch 1.13 on oneDNN), not a numerical reference.

Usage:
  /usr/bin/python3 bench/torch_train.py --graph graph.json \
      [--batch-sizes 32,64,128] [--threads 2] [--steps 20] [--warmup 3]
"""
import argparse
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# Default expected total: `summary cmv3 --width 0.5 --json` -> params.total.
DEFAULT_EXPECT_PARAMS = 171946

ACTIVATIONS = {
    "none": nn.Identity,
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "hswish": nn.Hardswish,
    "hsigmoid": nn.Hardsigmoid,
    "sigmoid": nn.Sigmoid,
    "mish": nn.Mish,
}


def peak_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class GraphError(Exception):  # anything wrong in the graph; reported as one line
    pass


def fail(msg):
    print(f"torch_train: error: {msg}", file=sys.stderr)
    sys.exit(1)


def act(name, where):
    if name not in ACTIVATIONS:
        raise GraphError(f"unknown activation {name!r} in node {where!r}")
    return ACTIVATIONS[name]()


class Residual(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body
    def forward(self, x):
        return x + self.body(x)


class SqueezeExcite(nn.Module):
    # y = x * gate(fc2(inner(fc1(avgpool(x))))); fc1/fc2 are bias-free 1x1 convs.
    def __init__(self, channels, reduced, inner, gate):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, reduced, 1, bias=False)
        self.inner = inner
        self.fc2 = nn.Conv2d(reduced, channels, 1, bias=False)
        self.gate = gate
    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * self.gate(self.fc2(self.inner(self.fc1(s))))


def build(node):
    """Turn one graph node (dict) into an nn.Module, recursively."""
    if not isinstance(node, dict):
        raise GraphError(f"graph node is not an object: {node!r:.60}")
    op, name = node.get("op"), node.get("name", "?")
    try:
        if op == "sequential":
            return nn.Sequential(*[build(n) for n in node["layers"]])
        if op == "residual":
            return Residual(build(node["body"]))
        if op == "conv":
            k = node["kernel"]
            # TF 'same' padding. For odd kernels at stride 1 that is exactly k//2.
            # At stride 2 TF pads asymmetrically (more at the bottom/right), but
            # symmetric k//2 gives the same ceil(H/2) output for even H, which is
            # all a throughput twin needs.
            return nn.Conv2d(node["cin"], node["cout"], k, stride=node["stride"],
                             padding=k // 2, groups=node["groups"], bias=node["bias"])
        if op == "batchnorm":
            # Keras momentum weights the old value; PyTorch's weights the new one.
            bn = nn.BatchNorm2d(node["channels"], eps=node["eps"],
                                momentum=1.0 - node["momentum"])
            return nn.Sequential(bn, act(node["act"], name))
        if op == "activation":
            return act(node["act"], name)
        if op == "se":
            return SqueezeExcite(node["channels"], node["reduced"],
                                 act(node["inner"], name), act(node["gate"], name))
        if op == "avgpool":
            return nn.AdaptiveAvgPool2d(1)
        if op == "dropout":
            return nn.Dropout(node["rate"])
    except KeyError as e:
        raise GraphError(f"node {name!r} (op {op!r}) lacks field {e.args[0]!r}")
    except (TypeError, ValueError) as e:
        raise GraphError(f"node {name!r} (op {op!r}) has a bad field: {e}")
    raise GraphError(f"unknown op {op!r} in node {name!r}")


def count_params(model):
    # Our total counts trainable weights plus BN moving mean/variance
    # (Keras-style non-trainable weights); num_batches_tracked has no twin.
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n += m.running_mean.numel() + m.running_var.numel()
    return n


def positive_ints(text):
    vals = [int(v) for v in text.split(",") if v.strip().isdigit()]
    if not vals or min(vals) < 1 or len(vals) != len(text.split(",")):
        raise argparse.ArgumentTypeError(f"need positive integers: {text!r}")
    return vals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--graph", required=True, help="JSON from summary --dump-graph")
    ap.add_argument("--batch-sizes", type=positive_ints, default=[32, 64, 128])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--expect-params", type=int, default=DEFAULT_EXPECT_PARAMS)
    args = ap.parse_args()
    if args.threads < 1 or args.steps < 1 or args.warmup < 0:
        fail("--threads and --steps must be >= 1, --warmup >= 0")
    try:
        with open(args.graph) as f:
            graph = json.load(f)
    except OSError as e:
        fail(f"cannot read graph file {args.graph!r}: {e.strerror}")
    except ValueError as e:
        fail(f"graph file {args.graph!r} is not valid JSON: {e}")
    try:
        body = build(graph)
    except GraphError as e:
        fail(str(e))
    # The last node is the classifier 1x1 conv giving (N, classes, 1, 1).
    last = body[-1] if isinstance(body, nn.Sequential) and len(body) else body
    if not isinstance(last, nn.Conv2d):
        fail("graph must end with the classifier conv")
    classes = last.out_channels

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = nn.Sequential(body, nn.Flatten(1))
    params = count_params(model)
    if params != args.expect_params:
        fail(f"parameter count {params} != expected {args.expect_params}; "
             "the twin is not the same network")
    # channels_last (NHWC) is the layout our implementation uses and the one
    # oneDNN prefers, so both sides are timed on their fast path.
    model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def train_step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    results = []
    for n in args.batch_sizes:
        x = torch.randn(n, 3, 32, 32).contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, classes, (n,))

        model.train()
        for _ in range(args.warmup):  # lets oneDNN build and cache its primitives
            train_step(x, y)
        t0 = time.perf_counter()
        for _ in range(args.steps):
            train_step(x, y)
        train_s = time.perf_counter() - t0

        model.eval()
        with torch.no_grad():
            for _ in range(args.warmup):  # eval-mode primitives differ; warm them too
                model(x)
            t0 = time.perf_counter()
            for _ in range(args.steps):
                model(x)
            infer_s = time.perf_counter() - t0

        # VmHWM (KiB) is this process's peak RSS. Not ru_maxrss: Linux carries that across
        # execve, so a child of a big Node process would report the parent's peak.
        rss_kib = peak_rss_kib()
        results.append({"batch": n,
                        "train_images_per_s": round(n * args.steps / train_s, 1),
                        "infer_images_per_s": round(n * args.steps / infer_s, 1),
                        "peak_rss_mb": round(rss_kib / 1024, 1)})

    print(json.dumps({"torch": torch.__version__, "threads": args.threads,
                      "params": params, "results": results}))


if __name__ == "__main__":
    main()
