"""MR properties of the 12 BrainWeb tissue labels at 1.5 T and 3 T.

Each label gets a proton density (relative), T1, T2 and T2* (ms) and a fat fraction: the
part of its proton density that resonates at the fat chemical shift (-3.4 ppm, the main
methylene peak) instead of at the water frequency. Mixed voxels are handled by the engines as
separate compartments (one per tissue and species), so relaxation times are never averaged.

Sources
-------
1.5 T: BrainWeb's tissue MR parameters (``tissue_mr_parameters.txt`` of the BrainWeb site, the
values BrainWeb's own MRI simulator uses for the 20 normal models, Aubert-Broche et al. 2006):
CSF, grey matter, white matter, fat, muscle, muscle/skin (BrainWeb's "skin" class), around-fat
(BrainWeb's "connective" class), dura (parameters of CSF, as BrainWeb assigns them) and bone
marrow (parameters of connective tissue, PD 1). BrainWeb gives skull and vessels no signal
(PD 0: cortical bone has T2 < 1 ms, and flowing blood is a flow void in spin echo); we keep
that, and their relaxation times below only keep the arithmetic finite.

3 T: grey and white matter T1/T2 from Wansapura et al. 1999 (GM 1331/110 ms, WM 832/79.6 ms),
skeletal muscle T1/T2 from Stanisz et al. 2005 (1412/50 ms), subcutaneous fat T1/T2 from
Gold et al. 2004 (382/68 ms). Where no 3 T measurement is used (CSF, skin, dura, around-fat,
marrow), T1 is scaled by sqrt(2) (T1 grows roughly with sqrt(B0) in soft tissue) and T2 is
kept. CSF deliberately follows that rule rather than a measured 3 T T1 (~4.2 s, Lu et al.
2005): BrainWeb's CSF (T1 2569 ms, T2 329 ms) is an effective model, far from measured free
water, and pairing a measured T1 with its effective T2 would make CSF barely brighter than
grey matter in a T2-weighted spin echo. PD is field independent. T2* at 3 T follows
from doubling the reversible rate R2' = 1/T2* - 1/T2 (R2' is proportional to the
susceptibility-induced field spread, hence to B0).

Fat fractions (our choice, documented): fat 1.0; around-fat 0.5 (fatty connective tissue);
bone marrow 0.5 (adult diploic marrow is a mix of red and yellow marrow); every other label 0.

References
----------
- B. Aubert-Broche, A. C. Evans, D. L. Collins, "A new improved version of the realistic
  digital brain phantom", NeuroImage 32:138-145, 2006.
- D. L. Collins et al., "Design and construction of a realistic digital brain phantom",
  IEEE TMI 17(3):463-468, 1998.
- J. P. Wansapura et al., "NMR relaxation times in the human brain at 3.0 Tesla",
  JMRI 9(4):531-538, 1999.
- G. J. Stanisz et al., "T1, T2 relaxation and magnetization transfer in tissue at 3T",
  MRM 54(3):507-512, 2005.
- G. E. Gold et al., "Musculoskeletal MRI at 3.0 T: relaxation times and image contrast",
  AJR 183:343-351, 2004.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FAT_SHIFT_PPM",
    "GAMMA_HZ_PER_T",
    "LABEL_NAMES",
    "TissueProperties",
    "TissueTable",
    "tissue_table",
]

#: Proton gyromagnetic ratio over 2 pi, in Hz per tesla (CODATA 2018).
GAMMA_HZ_PER_T = 42.577478518e6
#: Chemical shift of the main fat (methylene) peak relative to water, in ppm.
FAT_SHIFT_PPM = -3.4
#: BrainWeb's 12 labels, in label order.
LABEL_NAMES: tuple[str, ...] = (
    "background",
    "csf",
    "grey_matter",
    "white_matter",
    "fat",
    "muscle",
    "muscle_skin",
    "skull",
    "vessels",
    "around_fat",
    "dura",
    "marrow",
)


@dataclass(frozen=True)
class TissueProperties:
    """MR properties of one tissue label."""

    name: str
    """Label name (see :data:`LABEL_NAMES`)."""
    pd: float
    """Proton density relative to CSF (0 = no signal)."""
    t1_ms: float
    """Longitudinal relaxation time, ms."""
    t2_ms: float
    """Transverse (irreversible) relaxation time, ms."""
    t2star_ms: float
    """Effective transverse relaxation time, ms; ``1/T2* = 1/T2 + R2'`` with ``T2* <= T2``."""
    fat_fraction: float = 0.0
    """Part of ``pd`` that resonates at :data:`FAT_SHIFT_PPM` (0..1)."""

    def __post_init__(self) -> None:
        if self.pd < 0 or not 0.0 <= self.fat_fraction <= 1.0:
            raise ValueError(f"{self.name}: pd must be >= 0 and fat_fraction in [0, 1]")
        if min(self.t1_ms, self.t2_ms, self.t2star_ms) <= 0 or self.t2star_ms > self.t2_ms:
            raise ValueError(f"{self.name}: relaxation times must be > 0 with T2* <= T2")

    @property
    def r2prime_per_s(self) -> float:
        """Reversible dephasing rate ``R2' = 1/T2* - 1/T2`` in 1/s."""
        return 1e3 / self.t2star_ms - 1e3 / self.t2_ms


@dataclass(frozen=True)
class TissueTable:
    """Properties of the 12 labels at one field strength, indexable by label."""

    field_t: float
    """Main field, tesla."""
    tissues: tuple[TissueProperties, ...]
    """One entry per label 0..11."""

    def __post_init__(self) -> None:
        if len(self.tissues) != len(LABEL_NAMES):
            raise ValueError(f"a tissue table needs {len(LABEL_NAMES)} labels")

    def __getitem__(self, label: int) -> TissueProperties:
        return self.tissues[label]

    def __len__(self) -> int:
        return len(self.tissues)

    def array(self, name: str) -> np.ndarray:
        """One property (``"pd"``, ``"t1_ms"``, ``"t2_ms"``, ``"t2star_ms"``,
        ``"fat_fraction"``, ``"r2prime_per_s"``) for all labels as a float64 array."""
        return np.array([float(getattr(t, name)) for t in self.tissues], dtype=np.float64)


def _t(
    name: str, pd: float, t1: float, t2: float, t2s: float, fat: float = 0.0
) -> TissueProperties:
    return TissueProperties(name, pd, t1, t2, t2s, fat)


# PD 0 labels keep finite, irrelevant relaxation times so that rates stay finite.
_TABLE_1P5 = TissueTable(
    1.5,
    (
        _t("background", 0.0, 1000.0, 100.0, 100.0),
        _t("csf", 1.0, 2569.0, 329.0, 58.0),
        _t("grey_matter", 0.86, 833.0, 83.0, 69.0),
        _t("white_matter", 0.77, 500.0, 70.0, 61.0),
        _t("fat", 1.0, 350.0, 70.0, 58.0, 1.0),
        _t("muscle", 1.0, 900.0, 47.0, 30.0),
        _t("muscle_skin", 1.0, 2569.0, 329.0, 58.0),
        _t("skull", 0.0, 1000.0, 100.0, 100.0),
        _t("vessels", 0.0, 1000.0, 100.0, 100.0),
        _t("around_fat", 0.77, 500.0, 70.0, 61.0, 0.5),
        _t("dura", 1.0, 2569.0, 329.0, 58.0),
        _t("marrow", 1.0, 500.0, 70.0, 61.0, 0.5),
    ),
)


def _to_3t(
    t: TissueProperties, t1: float | None = None, t2: float | None = None
) -> TissueProperties:
    t1_3 = t1 if t1 is not None else t.t1_ms * math.sqrt(2.0)
    t2_3 = t2 if t2 is not None else t.t2_ms
    r2p_3 = 2.0 * (1.0 / t.t2star_ms - 1.0 / t.t2_ms)  # 1/ms
    t2s_3 = 1.0 / (1.0 / t2_3 + r2p_3)
    return TissueProperties(t.name, t.pd, t1_3, t2_3, t2s_3, t.fat_fraction)


_B = _TABLE_1P5.tissues
_TABLE_3P0 = TissueTable(
    3.0,
    (
        _B[0],
        _to_3t(_B[1]),
        _to_3t(_B[2], t1=1331.0, t2=110.0),  # Wansapura 1999
        _to_3t(_B[3], t1=832.0, t2=79.6),  # Wansapura 1999
        _to_3t(_B[4], t1=382.0, t2=68.0),  # Gold 2004
        _to_3t(_B[5], t1=1412.0, t2=50.0),  # Stanisz 2005
        _to_3t(_B[6]),
        _B[7],
        _B[8],
        _to_3t(_B[9]),
        _to_3t(_B[10]),
        _to_3t(_B[11]),
    ),
)


def tissue_table(field_t: float) -> TissueTable:
    """The tissue table at ``field_t`` tesla (1.5 or 3.0).

    Raises
    ------
    ValueError
        For any other field strength.
    """
    for table in (_TABLE_1P5, _TABLE_3P0):
        if math.isclose(field_t, table.field_t):
            return table
    raise ValueError(f"no tissue table for {field_t} T; use 1.5 or 3")
