"""A plain PyTorch 2 x BiLSTM(64) + Dense model trained for a fixed wall time, for the side-by-side
row of `npm run quality -- --side-by-side` (bench/quality-side-by-side.ts).

    /usr/bin/python3 bench/torch_bilstm.py --data DIR --seconds 840 [--seed 0] [--threads 2]

DIR holds train.csv, test.csv and test_answers.csv (`tidal simulate`). Features per row: the raw
columns (R and C as one-hots, time_step, u_in, u_out) and five simple ones (u_in cumulative sum,
area = cumulative sum of u_in * dt, u_in lag 1 and 2, u_in lead 1, u_in difference), standardised
with the train rows' mean and standard deviation: 15 features.
Model: BiLSTM(64) -> BiLSTM(64) -> Dense(64, SELU) -> Dense(1) per time step. Loss: MAE on
inspiratory rows (u_out == 0), Adam (lr 2e-3, cosine-decayed to 1e-5 over the wall-time budget),
batches of 32 breaths, shuffled each epoch. The loop checks the clock before each batch and stops
when --seconds have passed since training started (reading the CSVs is not counted). No
validation split: it trains on every train breath and scores the test breaths once, at the end.

Prints one JSON line: {"test_mae", "train_seconds", "total_seconds", "epochs", "batches", "params",
"features", "threads"}.
"""
import argparse
import json
import math
import time

import numpy as np
import torch
from torch import nn

ROWS = 80


def read_csv(path):
    """A headed numeric CSV as {column: float64 array} (the files `tidal simulate` writes)."""
    with open(path) as f:
        header = f.readline().strip().replace('"', '').split(',')
    data = np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2)
    return {name: data[:, i] for i, name in enumerate(header)}


def breath_order(table):
    """Rows sorted by (breath_id, time_step): the files may be in any row order."""
    return np.lexsort((table['time_step'], table['breath_id']))


def features(table):
    """[breaths, 80, 15] float32 features, rows in breath_order."""
    order = breath_order(table)
    col = {k: v[order].reshape(-1, ROWS) for k, v in table.items()}
    u_in, t = col['u_in'], col['time_step']
    dt = np.diff(t, axis=1, prepend=t[:, :1])
    lag = lambda x, k: np.concatenate([np.zeros_like(x[:, :k]), x[:, :-k]], axis=1)
    lead1 = np.concatenate([u_in[:, 1:], np.zeros_like(u_in[:, :1])], axis=1)
    one_hot = [(col['R'] == v).astype(np.float64) for v in (5, 20, 50)] + [(col['C'] == v).astype(np.float64) for v in (10, 20, 50)]
    columns = one_hot + [
        t, u_in, col['u_out'],
        np.cumsum(u_in, axis=1), np.cumsum(u_in * dt, axis=1),
        lag(u_in, 1), lag(u_in, 2), lead1, u_in - lag(u_in, 1),
    ]
    return np.stack(columns, axis=-1).astype(np.float32), col


class BiLstm(nn.Module):
    def __init__(self, n_features, units=64, dense=64):
        super().__init__()
        self.lstm1 = nn.LSTM(n_features, units, batch_first=True, bidirectional=True)
        self.lstm2 = nn.LSTM(2 * units, units, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Linear(2 * units, dense), nn.SELU(), nn.Linear(dense, 1))

    def forward(self, x):
        x, _ = self.lstm1(x)
        x, _ = self.lstm2(x)
        return self.head(x).squeeze(-1)


def masked_mae(pred, target, mask):
    return ((pred - target).abs() * mask).sum() / mask.sum().clamp(min=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--seconds', type=float, required=True)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=2e-3)
    args = ap.parse_args()
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    train = read_csv(f'{args.data}/train.csv')
    test = read_csv(f'{args.data}/test.csv')
    answers = read_csv(f'{args.data}/test_answers.csv')
    pressure_by_id = dict(zip(answers['id'].astype(np.int64), answers['pressure']))
    test['pressure'] = np.array([pressure_by_id[int(i)] for i in test['id']])

    x_train, c_train = features(train)
    x_test, c_test = features(test)
    mean = x_train.reshape(-1, x_train.shape[-1]).mean(axis=0)
    std = x_train.reshape(-1, x_train.shape[-1]).std(axis=0) + 1e-6
    x_train = torch.from_numpy((x_train - mean) / std)
    x_test = torch.from_numpy((x_test - mean) / std)
    y_train = torch.from_numpy(c_train['pressure'].astype(np.float32))
    m_train = torch.from_numpy((c_train['u_out'] == 0).astype(np.float32))

    model = BiLstm(x_train.shape[-1])
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    min_lr = 1e-5
    n = x_train.shape[0]
    t0 = time.perf_counter()
    seen = batches = 0
    done = False
    while not done:
        order = torch.from_numpy(rng.permutation(n))
        for start in range(0, n, args.batch):
            elapsed = time.perf_counter() - t0
            if elapsed >= args.seconds:
                done = True
                break
            for group in opt.param_groups:
                group['lr'] = min_lr + (args.lr - min_lr) * 0.5 * (1 + math.cos(math.pi * elapsed / args.seconds))
            idx = order[start:start + args.batch]
            opt.zero_grad()
            loss = masked_mae(model(x_train[idx]), y_train[idx], m_train[idx])
            loss.backward()
            opt.step()
            batches += 1
            seen += len(idx)
    train_seconds = time.perf_counter() - t0

    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x_test[i:i + 256]) for i in range(0, x_test.shape[0], 256)]).numpy()
    mask = c_test['u_out'] == 0
    test_mae = float(np.abs(pred - c_test['pressure'])[mask].mean())
    print(json.dumps({
        'test_mae': test_mae,
        'train_seconds': train_seconds,
        'total_seconds': time.perf_counter() - started,
        'epochs': seen / n,
        'batches': batches,
        'params': sum(p.numel() for p in model.parameters()),
        'features': int(x_train.shape[-1]),
        'threads': args.threads,
    }))


if __name__ == '__main__':
    main()
