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
    """1st place "LSTM on raw data": one multi-layer bidirectional nn.LSTM, a SiLU dense layer and
    two one-unit heads (inspiration, expiration), concatenated as [insp, exp]."""

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


class LstmCnnTransformer(nn.Module):
    """1st place "LSTM + CNN-Transformer": input projection; residual blocks of
    [BiLSTM -> Linear relu -> Linear]; LayerNorm; per kernel size k a residual block of
    [Conv1d(k) -> LayerNorm -> post-norm TransformerEncoderLayer -> ConvTranspose1d(k) -> LayerNorm];
    Linear(1). Odd kernels with padding k // 2 keep the 80 steps."""

    def __init__(self, features, width, lstm_blocks, lstm_units, lstm_ffn_units, conv_kernels, heads, ffn_units):
        super().__init__()
        self.input_projection = nn.Linear(features, width)
        self.lstms = nn.ModuleList(
            nn.LSTM(width, lstm_units, batch_first=True, bidirectional=True) for _ in range(lstm_blocks)
        )
        self.lstm_ffn = nn.ModuleList(nn.Linear(2 * lstm_units, lstm_ffn_units) for _ in range(lstm_blocks))
        self.lstm_out = nn.ModuleList(nn.Linear(lstm_ffn_units, width) for _ in range(lstm_blocks))
        self.lstm_norm = nn.LayerNorm(width)
        self.convs = nn.ModuleList(nn.Conv1d(width, width, k, padding=k // 2) for k in conv_kernels)
        self.norms1 = nn.ModuleList(nn.LayerNorm(width) for _ in conv_kernels)
        self.transformers = nn.ModuleList(
            nn.TransformerEncoderLayer(width, heads, ffn_units, dropout=0.0, batch_first=True)
            for _ in conv_kernels
        )
        self.deconvs = nn.ModuleList(nn.ConvTranspose1d(width, width, k, padding=k // 2) for k in conv_kernels)
        self.norms2 = nn.ModuleList(nn.LayerNorm(width) for _ in conv_kernels)
        self.output = nn.Linear(width, 1)

    def forward(self, x):
        x = self.input_projection(x)
        for lstm, ffn, out in zip(self.lstms, self.lstm_ffn, self.lstm_out):
            y, _ = lstm(x)
            x = x + out(torch.relu(ffn(y)))
        x = self.lstm_norm(x)
        for conv, norm1, encoder, deconv, norm2 in zip(self.convs, self.norms1, self.transformers, self.deconvs, self.norms2):
            y = norm1(conv(x.transpose(1, 2)).transpose(1, 2))
            y = encoder(y)
            y = norm2(deconv(y.transpose(1, 2)).transpose(1, 2))
            x = x + y
        return self.output(x)


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
