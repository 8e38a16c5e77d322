"""PyTorch re-implementations of the public model definitions that Tidal's architectures reproduce.

Written in this repository's words from the public sources named in docs/fidelity.md; each class
keeps the public model's own layer types (nn.LSTM with two biases, nn.Conv1d, nn.ConvTranspose1d,
nn.TransformerEncoderLayer, separate heads) so that the fixtures pin how their weights map onto
Tidal's Keras-layout layers. Inputs are [batch, 80, features], batch first.
"""
import torch
from torch import nn


class KerasBilstm(nn.Module):
    """Public Keras BiLSTM notebook: Bidirectional(LSTM(u)) per entry of units (return sequences,
    concat), Dense(dense, selu), Dense(1)."""

    def __init__(self, features, units, dense_units):
        super().__init__()
        widths = [features] + [2 * u for u in units[:-1]]
        self.rnns = nn.ModuleList(
            nn.LSTM(w, u, batch_first=True, bidirectional=True) for w, u in zip(widths, units)
        )
        self.dense = nn.Linear(2 * units[-1], dense_units)
        self.output = nn.Linear(dense_units, 1)

    def forward(self, x):
        for rnn in self.rnns:
            x, _ = rnn(x)
        return self.output(torch.selu(self.dense(x)))


class RawLstm(nn.Module):
    """1st place "LSTM on raw data" (github.com/whoknowsB/google-brain-ventilator-pressure-prediction,
    src/models/nets/simple.py, class `lstms`, built as lstms(9, 512) by configs/experiment/cloudy.yaml):
    one multi-layer bidirectional nn.LSTM (no dropout, no input norm), Linear(2u -> u) + SiLU, and
    two one-unit heads, `pressure_in` (scored on u_out == 0) and `pressure_out` (u_out == 1). The
    public forward stacks the heads as [2, batch, 80]; here they are the last axis, [insp, exp].
    dense_units is the public hidden_size (the head's width equals the LSTM's there). The public
    initialisation (Xavier-uniform input and Linear weights, orthogonal recurrent weights, zero
    biases but 1 on bias_ih's forget-gate rows) is Keras' default, which Tidal uses; the fixtures
    draw every weight at random instead, so that each bias and gate of the mapping is tested."""

    def __init__(self, features, units, layers, dense_units):
        super().__init__()
        self.lstm = nn.LSTM(features, units, num_layers=layers, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(2 * units, dense_units)
        self.head_insp = nn.Linear(dense_units, 1)
        self.head_exp = nn.Linear(dense_units, 1)

    def forward(self, x):
        x, _ = self.lstm(x)
        x = nn.functional.silu(self.dense(x))
        return torch.cat([self.head_insp(x), self.head_exp(x)], dim=-1)


class ConvBilstm(nn.Module):
    """3rd place: parallel Conv1d branches ('same' padding, relu), concatenated along channels,
    a stack of bidirectional LSTMs, then two one-unit heads."""

    def __init__(self, features, conv_filters, kernel_sizes, units):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(features, conv_filters, k, padding='same') for k in kernel_sizes
        )
        widths = [conv_filters * len(kernel_sizes)] + [2 * u for u in units[:-1]]
        self.rnns = nn.ModuleList(
            nn.LSTM(w, u, batch_first=True, bidirectional=True) for w, u in zip(widths, units)
        )
        self.head_insp = nn.Linear(2 * units[-1], 1)
        self.head_exp = nn.Linear(2 * units[-1], 1)

    def forward(self, x):
        channels_first = x.transpose(1, 2)
        x = torch.cat([torch.relu(c(channels_first)) for c in self.convs], dim=1).transpose(1, 2)
        for rnn in self.rnns:
            x, _ = rnn(x)
        return torch.cat([self.head_insp(x), self.head_exp(x)], dim=-1)


class ResidualLstm(nn.Module):
    """The public `ResidualLSTM(d_model)`: a one-layer BiLSTM of d_model units a direction, then
    Linear(2d -> 4d) relu and Linear(4d -> d), added to the block's input. Sequence-first."""

    def __init__(self, width):
        super().__init__()
        self.lstm = nn.LSTM(width, width, bidirectional=True)
        self.ffn = nn.Linear(2 * width, 4 * width)
        self.out = nn.Linear(4 * width, width)

    def forward(self, x):
        y, _ = self.lstm(x)
        return x + self.out(torch.relu(self.ffn(y)))


class LstmCnnTransformer(nn.Module):
    """1st place "LSTM + CNN-Transformer" (github.com/Shujun-He/Google-Brain-Ventilator, Network.py,
    `SAKTModel` with pos_encode='LSTM', as run.sh builds it: embed_dim 256, nheads 16, nlayers 3,
    rnnlayers 3, dropout 0). Linear(F -> d); rnn_layers ResidualLstm blocks; LayerNorm; then for
    i < transformer_layers a residual block with kernel k = 2 (transformer_layers - i) - 1 (5, 3, 1):
    Conv1d(d, d, k, padding 0) relu (80 -> 81 - k steps) -> LayerNorm -> post-norm
    TransformerEncoderLayer(d, heads, 4d, relu) on the shorter sequence -> ConvTranspose1d(d, d, k,
    padding 0) relu (back to 80) -> LayerNorm, + input; Linear(d -> 1). Like the public forward it
    runs sequence-first ([80, batch, d]); inputs and outputs here are batch-first. Left out: the
    public module's unused `cat_embedding` (Embedding(10, d)) and `downsample` (Linear(2d, d)),
    which forward never calls, and its dropouts (all 0 in run.sh)."""

    def __init__(self, features, width, rnn_layers, transformer_layers, heads):
        super().__init__()
        self.kernels = [2 * (transformer_layers - i) - 1 for i in range(transformer_layers)]
        self.input_projection = nn.Linear(features, width)
        self.lstm_blocks = nn.ModuleList(ResidualLstm(width) for _ in range(rnn_layers))
        self.lstm_norm = nn.LayerNorm(width)
        self.convs = nn.ModuleList(nn.Conv1d(width, width, k, padding=0) for k in self.kernels)
        self.norms1 = nn.ModuleList(nn.LayerNorm(width) for _ in self.kernels)
        self.transformers = nn.ModuleList(
            nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0) for _ in self.kernels
        )
        self.deconvs = nn.ModuleList(nn.ConvTranspose1d(width, width, k, padding=0) for k in self.kernels)
        self.norms2 = nn.ModuleList(nn.LayerNorm(width) for _ in self.kernels)
        self.output = nn.Linear(width, 1)

    def forward(self, x):
        x = self.input_projection(x).permute(1, 0, 2)  # [T, B, d]
        for block in self.lstm_blocks:
            x = block(x)
        x = self.lstm_norm(x)
        for conv, norm1, encoder, deconv, norm2 in zip(self.convs, self.norms1, self.transformers, self.deconvs, self.norms2):
            # [T, B, d] -> [B, d, T] for the convolutions, and back.
            y = torch.relu(conv(x.permute(1, 2, 0))).permute(2, 0, 1)
            y = encoder(norm1(y))
            y = torch.relu(deconv(y.permute(1, 2, 0))).permute(2, 0, 1)
            x = x + norm2(y)
        return self.output(x.permute(1, 0, 2))


class KerasStyleAttention(nn.Module):
    """Keras MultiHeadAttention(num_heads, key_dim) as self-attention: query/key/value projections
    D -> heads * key_dim (head h is columns h*key_dim ..), scaled dot product, output projection
    back to D. Unlike nn.MultiheadAttention the head width need not divide D."""

    def __init__(self, width, heads, key_dim):
        super().__init__()
        self.heads, self.key_dim = heads, key_dim
        self.query = nn.Linear(width, heads * key_dim)
        self.key = nn.Linear(width, heads * key_dim)
        self.value = nn.Linear(width, heads * key_dim)
        self.output = nn.Linear(heads * key_dim, width)

    def forward(self, x):
        b, t, _ = x.shape

        def split(p):
            return p(x).view(b, t, self.heads, self.key_dim).transpose(1, 2)

        scores = split(self.query) @ split(self.key).transpose(-1, -2) / self.key_dim ** 0.5
        context = torch.softmax(scores, dim=-1) @ split(self.value)
        return self.output(context.transpose(1, 2).reshape(b, t, self.heads * self.key_dim))


class PublicTransformer(nn.Module):
    """Public transformer notebook: input projection, encoder blocks whose skips mix
    skip * w + sublayer * (1 - w) before each LayerNorm (post-norm, gelu feed-forward), then
    Dense(3) for pressure, its diff and its cumsum."""

    def __init__(self, features, width, blocks, heads, key_dim, ffn_units, residual_weight):
        super().__init__()
        self.w = residual_weight
        self.input_projection = nn.Linear(features, width)
        self.attention = nn.ModuleList(KerasStyleAttention(width, heads, key_dim) for _ in range(blocks))
        self.norms1 = nn.ModuleList(nn.LayerNorm(width) for _ in range(blocks))
        self.ffn1 = nn.ModuleList(nn.Linear(width, ffn_units) for _ in range(blocks))
        self.ffn2 = nn.ModuleList(nn.Linear(ffn_units, width) for _ in range(blocks))
        self.norms2 = nn.ModuleList(nn.LayerNorm(width) for _ in range(blocks))
        self.output = nn.Linear(width, 3)

    def forward(self, x):
        w = self.w
        x = self.input_projection(x)
        for att, n1, f1, f2, n2 in zip(self.attention, self.norms1, self.ffn1, self.ffn2, self.norms2):
            h = n1(w * x + (1 - w) * att(x))
            x = n2(w * h + (1 - w) * f2(nn.functional.gelu(f1(h))))
        return self.output(x)
