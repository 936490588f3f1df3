"""Brain phantoms as 12-tissue fractions: BrainWeb readers, procedural heads, resampling.

A :class:`Phantom` holds float32 tissue fractions ``(12, Z, Y, X)`` in BrainWeb's label
order (:data:`TISSUE_NAMES`) on a grid with spacing and origin (z inferior -> superior,
y posterior -> anterior, x left -> right). Typical use::

    ph = crop_or_pad(load_brainweb("subject04_crisp_v.mnc.gz"))  # 180 x 216 x 180 at 1 mm
    stack = axial_slices(ph, n_slices=57, thickness_mm=3.0)      # (57, 12, 216, 180)
    ph = procedural_phantom(7, seed=0)                           # offline, 180 x 216 x 180
"""

from mrsim.phantoms._phantom import TISSUE_NAMES, Phantom, PhantomError
from mrsim.phantoms.brainweb import (
    BRAINWEB_SUBJECTS,
    find_brainweb,
    load_brainweb,
    load_brainweb_fuzzy,
)
from mrsim.phantoms.procedural import procedural_phantom
from mrsim.phantoms.resample import (
    PAPER_EXTENT_MM,
    SliceStack,
    axial_slices,
    crop_or_pad,
    fractions_from_labels,
    slice_weights,
)

__all__ = [
    "BRAINWEB_SUBJECTS",
    "PAPER_EXTENT_MM",
    "TISSUE_NAMES",
    "Phantom",
    "PhantomError",
    "SliceStack",
    "axial_slices",
    "crop_or_pad",
    "find_brainweb",
    "fractions_from_labels",
    "load_brainweb",
    "load_brainweb_fuzzy",
    "procedural_phantom",
    "slice_weights",
]
