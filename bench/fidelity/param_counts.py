"""Parameter counts of the PyTorch re-implementations (public_models.py) at the published sizes.

    python3 bench/fidelity/param_counts.py '{"public": 50, "raw": 9}'

The argument gives the input width per feature set (param-counts.ts passes Tidal's); the public
BiLSTM notebook's own width, 50 columns after one-hot encoding, is fixed below. "Keras layout"
counts one LSTM bias per gate (bias_ih + bias_hh are one bias in Keras and in Tidal).
"""
import json
import os
import sys

from torch import nn  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from public_models import ConvBilstm, KerasBilstm, LstmCnnTransformer, PublicTransformer, RawLstm  # noqa: E402

NOTEBOOK_BILSTM_INPUTS = 50


def keras_count(module):
    return sum(p.numel() for n, p in module.named_parameters() if not n.split('.')[-1].startswith('bias_hh'))


def leaves(model):
    """Top-level modules, with ModuleLists opened into their items."""
    for name, child in model.named_children():
        if isinstance(child, nn.ModuleList):
            yield from ((f'{name}.{i}', item) for i, item in enumerate(child))
        else:
            yield name, child


def main():
    widths = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {'public': 50, 'raw': 9}
    f = widths['public']
    cases = [] if f == NOTEBOOK_BILSTM_INPUTS else [
        ('bilstm', f'KerasBilstm({f}, [1024, 512, 256, 128], 128)', lambda: KerasBilstm(f, [1024, 512, 256, 128], 128)),
    ]
    cases += [
        ('bilstm', f'KerasBilstm({NOTEBOOK_BILSTM_INPUTS}, [1024, 512, 256, 128], 128)', lambda: KerasBilstm(NOTEBOOK_BILSTM_INPUTS, [1024, 512, 256, 128], 128)),
        ('lstm-raw', f'RawLstm({widths["raw"]}, 512, 4, 512)', lambda: RawLstm(widths['raw'], 512, 4, 512)),
        ('conv-bilstm', f'ConvBilstm({f}, 64, [2, 3, 4], [1024, 512, 256, 128])', lambda: ConvBilstm(f, 64, [2, 3, 4], [1024, 512, 256, 128])),
        ('lstm-cnn-transformer', f'LstmCnnTransformer({f}, 256, 3, 3, 16)', lambda: LstmCnnTransformer(f, 256, 3, 3, 16)),
        ('transformer', f'PublicTransformer({f}, 128, 12, 8, 64, 128, 0.7)', lambda: PublicTransformer(f, 128, 12, 8, 64, 128, 0.7)),
    ]
    for name, label, build in cases:
        print(f'\n### {name}: `{label}`, by module (Keras layout)\n')
        print('| module | type | parameters |\n|---|---|---:|')
        for module_name, module in leaves(build()):
            print(f'| {module_name} | {type(module).__name__} | {keras_count(module):,} |')
    print('\n### PyTorch re-implementations at the published sizes\n')
    print('| model | constructor | parameters (PyTorch) | parameters (Keras layout) |\n|---|---|---:|---:|')
    for name, label, build in cases:
        model = build()
        total = sum(p.numel() for p in model.parameters())
        hh_bias = sum(p.numel() for n, p in model.named_parameters() if '.bias_hh' in n or n.startswith('bias_hh'))
        print(f'| {name} | `{label}` | {total:,} | {total - hh_bias:,} |')


if __name__ == '__main__':
    main()
