"""The rate-1/2, constraint-length-7 convolutional code (generators 171, 133 octal) with soft Viterbi.

The watermark's channel gives each coded bit as a soft value (positive means 1);
a soft-decision Viterbi decoder over this code (Viterbi, IEEE Trans. Inf. Theory
13(2), 1967; the generators of the CCSDS/NASA standard) corrects far more errors
than spending the same cells on repeating the bits.
"""

from __future__ import annotations

import numpy as np

CONSTRAINT = 7
GENERATORS = (0o171, 0o133)
MEMORY = CONSTRAINT - 1  # zero bits appended so the decoder ends in state 0
_STATES = 1 << MEMORY


def _parity(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    for shift in (4, 2, 1):
        x ^= x >> shift
    return x & 1


def _branch_outputs() -> np.ndarray:
    """outputs[state, bit] -> the two coded bits as +-1, for the register (bit, state)."""
    state = np.arange(_STATES)[:, None]
    bit = np.arange(2)[None, :]
    register = (bit << MEMORY) | state  # newest bit in the top position
    # Generators are written oldest-tap-last (MSB = current input), as in the standard.
    outs = [_parity(register & g) for g in GENERATORS]
    return np.stack([2.0 * o - 1.0 for o in outs], axis=-1)  # (states, 2, 2)


_OUT = _branch_outputs()


def coded_length(n_bits: int) -> int:
    return 2 * (n_bits + MEMORY)


def encode(bits: np.ndarray) -> np.ndarray:
    """Coded bits (0/1) for `bits` (0/1), terminated with MEMORY zero bits."""
    state, out = 0, []
    for bit in list(np.asarray(bits, dtype=np.int64)) + [0] * MEMORY:
        pair = _OUT[state, int(bit)]
        out.extend(int(v > 0) for v in pair)
        state = (int(bit) << (MEMORY - 1)) | (state >> 1)
    return np.array(out, dtype=np.uint8)


def decode(soft: np.ndarray) -> np.ndarray:
    """The most likely message bits for soft coded values (positive means 1)."""
    soft = np.asarray(soft, dtype=np.float64).reshape(-1, 2)
    steps = soft.shape[0]
    # Each next state (bit, state >> 1) has two predecessors: state = 2*(next & 31) + {0, 1}.
    nxt = np.arange(_STATES)
    bit = nxt >> (MEMORY - 1)
    preds = np.stack([(nxt << 1) & (_STATES - 1), ((nxt << 1) & (_STATES - 1)) | 1], axis=1)
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    choices = np.zeros((steps, _STATES), dtype=np.int8)
    for t in range(steps):
        branch = _OUT[preds, bit[:, None]] @ soft[t]  # (states, 2 predecessors)
        candidates = metric[preds] + branch
        choices[t] = np.argmax(candidates, axis=1)
        metric = candidates[nxt, choices[t]]
    state, bits = 0, []
    for t in range(steps - 1, -1, -1):
        bits.append(state >> (MEMORY - 1))
        state = preds[state, choices[t, state]]
    return np.array(bits[::-1][: steps - MEMORY], dtype=np.uint8)
