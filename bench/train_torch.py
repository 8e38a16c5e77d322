"""PyTorch reference for `npm run bench:train`: same models, batch, loss and optimiser; 1 CPU
thread, or on the GPU (--device cuda) in fp32 with TF32 off, or on with --tf32.

    OMP_NUM_THREADS=1 python3 bench/train_torch.py --model bilstm-64-64 --batch 256 --batches 8 --seconds 20
    python3 bench/train_torch.py --model kaggle-bilstm --batch 512 --device cuda [--tf32]

Prints one JSON line: {"model", "seq_per_sec", "seq_per_cpu_sec", "timed_batches", "peak_rss_mb"}
(seq_per_cpu_sec: per second of this process's CPU time, the steadier figure on a shared machine).
TORCH_MODELS mirrors bench/train-cases.ts (`torchName` there); input is [batch, 80, features]
(12 features unless the model says otherwise). --small builds the kaggle models at the small
sizes of models/architectures (bench:train --tiny).
"""
import argparse
import json
import resource
import time

import torch
from torch import nn

SEQ, FEATURES = 80, 12


class BiLstmStack(nn.Module):
    """Bidirectional LSTM layers (concat), then Dense layers, then Dense(outputs)."""

    def __init__(self, units, dense, activation=None, features=FEATURES, outputs=1):
        super().__init__()
        self.features, self.outputs = features, outputs
        layers, width = [], features
        for u in units:
            layers.append(nn.LSTM(width, u, batch_first=True, bidirectional=True))
            width = 2 * u
        self.rnns = nn.ModuleList(layers)
        head = []
        for d in dense:
            head.append(nn.Linear(width, d))
            if activation == 'selu':
                head.append(nn.SELU())
            if activation == 'swish':
                head.append(nn.SiLU())
            width = d
        head.append(nn.Linear(width, outputs))
        self.head = nn.Sequential(*head)

    def forward(self, x):
        for rnn in self.rnns:
            x, _ = rnn(x)
        return self.head(x)


class Conv1dStack(nn.Module):
    """3 x Conv1D(64, kernel 3, same padding, relu) then Dense(1) per step."""

    def __init__(self, channels=64, layers=3):
        super().__init__()
        self.features, self.outputs = FEATURES, 1
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
        self.features, self.outputs = FEATURES, 1
        self.embed = nn.Linear(FEATURES, d_model)
        self.block = nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0, batch_first=True)
        self.out = nn.Linear(d_model, 1)

    def forward(self, x):
        return self.out(self.block(self.embed(x)))


class LstmCnnTransformer(nn.Module):
    """models/architectures/lstm-cnn-transformer.ts: Dense(width), residual blocks of BiLSTM ->
    Dense relu -> Dense(width), LayerNorm, then per kernel size a residual block of Conv1D ->
    LayerNorm -> post-norm Transformer encoder layer -> Conv1DTranspose -> LayerNorm, Dense(1)."""

    def __init__(self, width, lstm_blocks, lstm_units, lstm_ffn, kernels, heads, ffn, features):
        super().__init__()
        self.features, self.outputs = features, 1
        self.inp = nn.Linear(features, width)
        self.lstms = nn.ModuleList(nn.LSTM(width, lstm_units, batch_first=True, bidirectional=True) for _ in range(lstm_blocks))
        self.ffns = nn.ModuleList(
            nn.Sequential(nn.Linear(2 * lstm_units, lstm_ffn), nn.ReLU(), nn.Linear(lstm_ffn, width)) for _ in range(lstm_blocks))
        self.norm = nn.LayerNorm(width)
        self.convs = nn.ModuleList(nn.Conv1d(width, width, k, padding='same') for k in kernels)
        self.norms1 = nn.ModuleList(nn.LayerNorm(width) for _ in kernels)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(width, heads, ffn, dropout=0.0, batch_first=True) for _ in kernels)
        self.deconvs = nn.ModuleList(nn.ConvTranspose1d(width, width, k, padding=(k - 1) // 2) for k in kernels)
        self.norms2 = nn.ModuleList(nn.LayerNorm(width) for _ in kernels)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        x = self.inp(x)
        for lstm, ffn in zip(self.lstms, self.ffns):
            x = x + ffn(lstm(x)[0])
        x = self.norm(x)
        for conv, n1, block, deconv, n2 in zip(self.convs, self.norms1, self.blocks, self.deconvs, self.norms2):
            y = n1(conv(x.transpose(1, 2)).transpose(1, 2))
            y = n2(deconv(block(y).transpose(1, 2)).transpose(1, 2))
            x = x + y
        return self.out(x)


# Input widths of the kaggle preset's feature sets, as in bench/train-cases.ts.
PUBLIC_FEATURES, RAW_FEATURES = 50, 9

TORCH_MODELS = {
    'bilstm-64-64': lambda: BiLstmStack([64, 64], [32]),
    'bilstm-public-small': lambda: BiLstmStack([128, 64, 32, 16], [16], activation='selu'),
    'conv1d-3x64': lambda: Conv1dStack(),
    'transformer-block': lambda: EncoderBlock(),
    'kaggle-bilstm': lambda: BiLstmStack([1024, 512, 256, 128], [128], 'selu', PUBLIC_FEATURES),
    'kaggle-lstm-raw': lambda: BiLstmStack([512] * 4, [512], 'swish', RAW_FEATURES, outputs=2),
    'kaggle-lstm-cnn-transformer': lambda: LstmCnnTransformer(256, 3, 256, 1024, [5, 3, 1], 16, 1024, PUBLIC_FEATURES),
}

# The small sizes of models/architectures, for --small.
SMALL_MODELS = {
    'kaggle-bilstm': lambda: BiLstmStack([16, 8], [8], 'selu', PUBLIC_FEATURES),
    'kaggle-lstm-raw': lambda: BiLstmStack([16] * 2, [16], 'swish', RAW_FEATURES, outputs=2),
    'kaggle-lstm-cnn-transformer': lambda: LstmCnnTransformer(16, 1, 8, 32, [3, 1], 2, 32, PUBLIC_FEATURES),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True, choices=sorted(TORCH_MODELS))
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--batches', type=int, default=8)
    ap.add_argument('--seconds', type=float, default=20)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    ap.add_argument('--tf32', action='store_true', help='cuda: allow TF32 matmuls and convolutions (cuDNN RNNs too)')
    ap.add_argument('--small', action='store_true')
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    device = torch.device(args.device)
    build = SMALL_MODELS.get(args.model) if args.small else None
    model = (build or TORCH_MODELS[args.model])().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = (torch.rand(args.batch, SEQ, model.features) * 2 - 1).to(device)
    y = (torch.rand(args.batch, SEQ, model.outputs) * 2 - 1).to(device)
    sync = torch.cuda.synchronize if args.device == 'cuda' else (lambda: None)

    def step():
        opt.zero_grad()
        loss = (model(x) - y).abs().mean()
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    sync()
    start, cpu_start, n = time.perf_counter(), time.process_time(), 0
    while n < args.batches and (n == 0 or time.perf_counter() - start < args.seconds):
        step()
        sync()
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
