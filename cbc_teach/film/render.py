"""Drawing single cells (:func:`render_cell`) and turning images into PNG bytes (:func:`to_png`)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

import numpy as np

from ..errors import InvalidParameterError
from ._draw import BACKGROUND, Drawn, draw_cell
from .catalogue import check_features, check_kind, film_data, kind_info

__all__ = ["draw", "px_per_um", "render_cell", "to_png"]


def px_per_um() -> float:
    """Pixels per micrometre of every image (``film.toml``, ``[scale]``)."""
    return float(film_data()["scale"]["px_per_um"])


def _rng(seed: object) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise InvalidParameterError(
            f"The 'seed' must be a whole number, a numpy Generator or None; got {seed!r}."
        )
    return np.random.default_rng(seed)


def draw(kind: str, features: Iterable[str] = (), seed: object = 0) -> Drawn:
    """Draw one cell as float RGB plus coverage (for compositing into a field)."""
    kind = check_kind(kind)
    feats = check_features(kind, features)
    diameter = tuple(kind_info(kind)["diameter_um"])
    return draw_cell(kind, feats, _rng(seed), diameter, px_per_um())


def render_cell(kind: str, *, features: Iterable[str] = (), seed: object = 0) -> np.ndarray:
    """One leukocyte as it looks on a Romanowsky-stained film: an RGB image (uint8, H x W x 3).

    ``kind`` is one of ``neutrophil``, ``band``, ``lymphocyte``, ``monocyte``, ``eosinophil``,
    ``basophil``, ``blast``; ``features`` any allowed for that kind (``hypersegmented``,
    ``toxic_granulation``, ``dohle_bodies``, ``vacuolation``, ``auer_rod``, ``large_granular``,
    ``reactive``, ``pseudo_pelger``, ``hypogranular``, ``clump``). Images are drawn at 5 pixels
    per micrometre, so sizes compare across kinds; the same seed gives the same picture.

    >>> image = render_cell("neutrophil", features=["toxic_granulation"], seed=1)
    >>> image.dtype, image.ndim, image.shape[2]
    (dtype('uint8'), 3, 3)
    >>> bool((image == render_cell("neutrophil", features=["toxic_granulation"], seed=1)).all())
    True
    """
    cell = draw(kind, features, seed)
    a = cell.alpha[..., None]
    rgb = BACKGROUND * (1 - a) + cell.rgb * a
    return (rgb * 255 + 0.5).astype(np.uint8)


def to_png(image: np.ndarray, *, level: int = 1) -> bytes:
    """Encode an RGB uint8 image (H x W x 3) as PNG bytes (zlib only, no image library).

    >>> to_png(np.zeros((2, 3, 3), dtype=np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InvalidParameterError(
            f"to_png needs an RGB image of dtype uint8 and shape (H, W, 3); got dtype "
            f"{image.dtype} and shape {image.shape}."
        )
    h, w, _ = image.shape
    raw = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    raw[:, 0] = 0  # no filter
    raw[:, 1:] = image.reshape(h, 3 * w)

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + chunk(b"IEND", b""))
