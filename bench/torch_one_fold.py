"""PyTorch on exactly the rows of `npm run bench:fold -- ... --dump DIR`: a 2-layer BiLSTM stack
+ Dense(32, selu) + Dense(1) (Tidal's `bilstm` layout), masked inspiratory MAE, Adam with a cosine
decay over the wall-clock budget, trained for SECONDS of wall time; prints every epoch's
validation inspiratory MAE and time.

    OPENBLAS_NUM_THREADS=1 python3 bench/torch_one_fold.py DIR SECONDS [--batch 32] [--lr 0.005] [--units 64] [--threads 1]

Set OPENBLAS_NUM_THREADS to --threads: Debian's OpenBLAS otherwise starts its own threads, and on
a busy machine a batch ran 30x slower."""
import argparse, json, math, os, time
import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument('dir'); p.add_argument('seconds', type=float)
p.add_argument('--batch', type=int, default=32); p.add_argument('--lr', type=float, default=0.005)
p.add_argument('--units', type=int, default=64); p.add_argument('--threads', type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
split = json.load(open(os.path.join(a.dir, 'split.json')))
n, f = split['breaths'], split['features']
def load(name, shape): return torch.from_numpy(np.fromfile(os.path.join(a.dir, name), dtype=np.float32).reshape(shape))
x, y, m = load('x.f32', (n, 80, f)), load('target.f32', (n, 80)), load('inspiratory.f32', (n, 80))
train, valid = torch.tensor(split['train']), torch.tensor(split['valid'])

class BiLstm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = torch.nn.LSTM(f, a.units, batch_first=True, bidirectional=True)
        self.lstm2 = torch.nn.LSTM(2 * a.units, a.units, batch_first=True, bidirectional=True)
        self.dense = torch.nn.Linear(2 * a.units, 32)
        self.out = torch.nn.Linear(32, 1)
    def forward(self, x):
        x, _ = self.lstm1(x)
        x, _ = self.lstm2(x)
        return self.out(torch.selu(self.dense(x))).squeeze(-1)

model = BiLstm()
opt = torch.optim.Adam(model.parameters(), lr=a.lr)
started, epoch = time.time(), 0
while time.time() - started < a.seconds:
    model.train()
    order = train[torch.randperm(len(train))]
    t0 = time.time()
    for i in range(0, len(order), a.batch):
        frac = min(1.0, (time.time() - started) / a.seconds)
        for g in opt.param_groups: g['lr'] = 1e-4 + (a.lr - 1e-4) * 0.5 * (1 + math.cos(math.pi * frac))
        b = order[i:i + a.batch]
        loss = ((model(x[b]) - y[b]).abs() * m[b]).sum() / m[b].sum()
        opt.zero_grad(); loss.backward(); opt.step()
    model.eval()
    with torch.no_grad():
        mae = float(((model(x[valid]) - y[valid]).abs() * m[valid]).sum() / m[valid].sum())
    epoch += 1
    print(f'epoch {epoch}: valid MAE {mae:.4f} ({time.time() - t0:.1f} s, at {time.time() - started:.0f} s)', flush=True)
