"""PyTorch reference for `npm run bench:train`: same models, batch, loss and optimiser, 1 thread.

    OMP_NUM_THREADS=1 python3 bench/train_torch.py --model bilstm-64-64 --batch 256 --batches 8 --seconds 20

Prints one JSON line: {"model", "seq_per_sec", "seq_per_cpu_sec", "timed_batches", "peak_rss_mb"}
(seq_per_cpu_sec: per second of this process's CPU time, the steadier figure on a shared machine).
TORCH_MODELS mirrors bench/train-cases.ts (`torchName` there); input is [batch, 80, 12].
"""
import argparse
import json
import resource
import time

import torch
from torch import nn

SEQ, FEATURES = 80, 12


class BiLstmStack(nn.Module):
    """Bidirectional LSTM layers (concat), then Dense layers, then Dense(1)."""

    def __init__(self, units, dense, activation=None):
        super().__init__()
        layers, width = [], FEATURES
        for u in units:
            layers.append(nn.LSTM(width, u, batch_first=True, bidirectional=True))
            width = 2 * u
        self.rnns = nn.ModuleList(layers)
        head = []
        for d in dense:
            head.append(nn.Linear(width, d))
            if activation == 'selu':
                head.append(nn.SELU())
            width = d
        head.append(nn.Linear(width, 1))
        self.head = nn.Sequential(*head)

    def forward(self, x):
        for rnn in self.rnns:
            x, _ = rnn(x)
        return self.head(x)


class Conv1dStack(nn.Module):
    """3 x Conv1D(64, kernel 3, same padding, relu) then Dense(1) per step."""

    def __init__(self, channels=64, layers=3):
        super().__init__()
        convs, width = [], FEATURES
        for _ in range(layers):
            convs += [nn.Conv1d(width, channels, 3, padding=1), nn.ReLU()]
            width = channels
        self.convs = nn.Sequential(*convs)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(self.convs(x.transpose(1, 2)).transpose(1, 2))


class EncoderBlock(nn.Module):
    """Dense(64) embedding, one post-norm Transformer encoder block (4 heads, FF 128, no
    dropout), then Dense(1) per step."""

    def __init__(self, d_model=64, heads=4, ff=128):
        super().__init__()
        self.embed = nn.Linear(FEATURES, d_model)
        self.block = nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0, batch_first=True)
        self.out = nn.Linear(d_model, 1)

    def forward(self, x):
        return self.out(self.block(self.embed(x)))


TORCH_MODELS = {
    'bilstm-64-64': lambda: BiLstmStack([64, 64], [32]),
    'bilstm-public-small': lambda: BiLstmStack([128, 64, 32, 16], [16], activation='selu'),
    'conv1d-3x64': lambda: Conv1dStack(),
    'transformer-block': lambda: EncoderBlock(),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True, choices=sorted(TORCH_MODELS))
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--batches', type=int, default=8)
    ap.add_argument('--seconds', type=float, default=20)
    ap.add_argument('--warmup', type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = TORCH_MODELS[args.model]()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(args.batch, SEQ, FEATURES) * 2 - 1
    y = torch.rand(args.batch, SEQ, 1) * 2 - 1

    def step():
        opt.zero_grad()
        loss = (model(x) - y).abs().mean()
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    start, cpu_start, n = time.perf_counter(), time.process_time(), 0
    while n < args.batches and (n == 0 or time.perf_counter() - start < args.seconds):
        step()
        n += 1
    secs = time.perf_counter() - start
    cpu_secs = time.process_time() - cpu_start
    print(json.dumps({
        'model': args.model,
        'seq_per_sec': n * args.batch / secs,
        'seq_per_cpu_sec': n * args.batch / cpu_secs,
        'timed_batches': n,
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == '__main__':
    main()
