"""Writes test/fixtures/fidelity/<model>.json: for each public model (public_models.py) at a small
size, its PyTorch weights, an input batch, the outputs and the gradients of the loss with respect
to every weight. test/models/fidelity.test.ts loads the same weights into Tidal's architecture
(models/import/torch-weights.ts) and compares.

    npm run fidelity:fixtures        (needs python3 with torch)

The loss is the masked MAE of the competition, on every output channel: the mean over inspiratory
rows (u_out == 0) of |output - target|, summed over channels. Weights are drawn in float32 and the
reference is computed in float64 from those exact values, so the fixture carries no float32
rounding of its own. Tensors are stored as little-endian float32 in base64 with their shape.
"""
import base64
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from public_models import ConvBilstm, KerasBilstm, LstmCnnTransformer, PublicTransformer, RawLstm  # noqa: E402

BATCH, ROWS = 2, 80
OUT_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'fidelity')

# Tidal model name -> (Tidal config, input features, PyTorch constructor from that config).
CASES = {
    'bilstm': (
        {'units': [8, 4], 'denseUnits': 8, 'levels': False}, 6,
        lambda c, f: KerasBilstm(f, c['units'], c['denseUnits']),
    ),
    'lstm-raw': (
        {'units': 8, 'layers': 2, 'denseUnits': 8}, 9,
        lambda c, f: RawLstm(f, c['units'], c['layers'], c['denseUnits']),
    ),
    'conv-bilstm': (
        {'convFilters': 4, 'kernelSizes': [2, 3, 4], 'units': [8, 4]}, 6,
        lambda c, f: ConvBilstm(f, c['convFilters'], c['kernelSizes'], c['units']),
    ),
    'lstm-cnn-transformer': (
        # The public block ties lstmUnits to width, both FFNs to 4 x width, and takes kernels 5, 3, 1.
        {'width': 8, 'lstmBlocks': 2, 'lstmUnits': 8, 'lstmFfnUnits': 32, 'convKernels': [5, 3, 1], 'heads': 2, 'ffnUnits': 32}, 6,
        lambda c, f: LstmCnnTransformer(f, c['width'], c['lstmBlocks'], len(c['convKernels']), c['heads']),
    ),
    'transformer': (
        {'width': 8, 'blocks': 2, 'heads': 2, 'keyDim': 3, 'ffnUnits': 16, 'residualWeight': 0.7}, 6,
        lambda c, f: PublicTransformer(f, c['width'], c['blocks'], c['heads'], c['keyDim'], c['ffnUnits'], c['residualWeight']),
    ),
}


def encode(t):
    a = np.ascontiguousarray(t.detach().cpu().numpy().astype('<f4'))
    return {'shape': list(a.shape), 'data': base64.b64encode(a.tobytes()).decode('ascii')}


def masked_mae(output, target, inspiratory):
    """Sum over channels of the mean |output - target| over inspiratory rows."""
    mask = inspiratory.unsqueeze(-1)
    return ((output - target).abs() * mask).sum() / inspiratory.sum()


def make_case(name, seed):
    config, features, build = CASES[name]
    torch.manual_seed(seed)
    model = build(config, features)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            # LayerNorm starts at gamma 1, beta 0; move them so the mapping of each is tested.
            if 'norm' in pname:
                p.add_(0.2 * torch.randn_like(p))
    # float32 values widened exactly: the reference is the float64 function of the stored weights.
    model = model.double()
    model.train()
    x = torch.randn(BATCH, ROWS, features, dtype=torch.float32)
    inspiratory = torch.zeros(BATCH, ROWS, dtype=torch.float32)
    inspiratory[0, :30] = 1
    inspiratory[1, :33] = 1
    with torch.no_grad():
        channels = model(x.double()).shape[-1]
    # Targets far from the initial outputs keep the sign inside |.| stable under float32 rounding.
    target = (5 + torch.randn(BATCH, ROWS, channels)).float()
    output = model(x.double())
    loss = masked_mae(output, target.double(), inspiratory.double())
    model.zero_grad()
    loss.backward()
    return {
        'model': name,
        'config': config,
        'inputFeatures': features,
        'source': 'bench/fidelity/public_models.py, torch ' + torch.__version__,
        'input': encode(x),
        'inspiratory': encode(inspiratory),
        'target': encode(target),
        'output': encode(output),
        'loss': float(loss),
        'weights': {n: encode(p) for n, p in model.named_parameters()},
        'gradients': {n: encode(p.grad) for n, p in model.named_parameters()},
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for i, name in enumerate(CASES):
        fixture = make_case(name, seed=1000 + i)
        path = os.path.join(OUT_DIR, f'{name}.json')
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(fixture, f, indent=1)
            f.write('\n')
        os.replace(tmp, path)
        print(f'{path}: {os.path.getsize(path)} bytes, loss {fixture["loss"]:.6f}')


if __name__ == '__main__':
    main()
