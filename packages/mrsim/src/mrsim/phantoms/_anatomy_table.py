"""The fixed geometry of the procedural head: every constant of :mod:`._anatomy` (data, no code).

All lengths are millimetres in brain coordinates (:func:`._anatomy._to_brain`: centred on the
brain, +z up, +y forward, +x to the subject's left, divided by the per-axis head scale). What
varies from head to head is in the parameter vector (:class:`._anatomy.P`), the random fields,
ventricles, deep grey nuclei and vessels of :mod:`.procedural`; what is written here is the same
for every head. The values are a hand-tuned approximation of an adult head; the label fractions
and layer thicknesses they give are checked in ``tests/test_phantom_procedural.py``.

The tables are module-level named tuples: numba freezes them as compile-time constants, so
the kernels read them at no cost.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "BLEND",
    "BRAINSTEM",
    "CEREBELLAR_FOLIA",
    "CEREBELLUM",
    "CEREBRUM",
    "DEEP_REGION",
    "DIPLOE",
    "EYE",
    "FACE",
    "FACE_REGION",
    "FISSURE",
    "FOLDING",
    "FORAMEN",
    "NASAL_CAVITY",
    "NECK",
    "ORBIT",
    "PHARYNX",
    "SAGITTAL_SINUS",
    "SCALP",
    "SINUS",
    "SINUS_WALL",
    "SPINAL_CANAL",
    "SYLVIAN",
    "TEMPORAL_LOBE",
    "Blend",
    "Brainstem",
    "CerebellarFolia",
    "Cerebrum",
    "DeepRegion",
    "Diploe",
    "Eye",
    "FaceRegion",
    "Fissure",
    "Folding",
    "OctantEllipsoid",
    "Pharynx",
    "SagittalSinus",
    "Scalp",
    "SpinalCanal",
    "Sylvian",
]


class OctantEllipsoid(NamedTuple):
    """An ellipsoid whose z and y semi-axes differ by direction (``_octant_ellipsoid``)."""

    z: float
    """Centre height."""
    y: float
    """Centre, front-back."""
    x: float
    """Centre, left-right (for paired structures: distance from the midline)."""
    up: float
    """Semi-axis above the centre."""
    down: float
    """Semi-axis below the centre."""
    front: float
    """Semi-axis in front of the centre."""
    back: float
    """Semi-axis behind the centre."""
    side: float
    """Left-right semi-axis."""


TEMPORAL_LOBE = OctantEllipsoid(-40.0, 6.0, 45.0, 24.0, 22.0, 40.0, 36.0, 22.0)
"""Each temporal lobe (x from the midline), joined to the cerebrum."""
CEREBELLUM = OctantEllipsoid(-54.0, -50.0, 0.0, 23.0, 23.0, 27.0, 31.0, 52.0)
FACE = OctantEllipsoid(-64.0, 34.0, 0.0, 48.0, 60.0, 64.0, 60.0, 68.0)
"""The face's soft tissue, joined to the skull's cover."""
NECK = OctantEllipsoid(-124.0, 2.0, 0.0, 80.0, 80.0, 62.0, 62.0, 64.0)
ORBIT = OctantEllipsoid(-42.0, 68.0, 28.0, 12.0, 12.0, 20.0, 20.0, 14.0)
"""Each orbit's fat (x from the midline)."""
SINUS = OctantEllipsoid(-76.0, 66.0, 21.0, 11.0, 11.0, 12.0, 12.0, 9.0)
"""Each maxillary sinus's air (x from the midline)."""
NASAL_CAVITY = OctantEllipsoid(-72.0, 78.0, 0.0, 18.0, 18.0, 20.0, 20.0, 4.5)


class Cerebrum(NamedTuple):
    """A superellipsoid, boxier than an ellipsoid, whose base rises and sides narrow backwards."""

    up: float
    """Semi-axis above the centre."""
    down: float
    """Semi-axis below the centre at y = 0 ..."""
    down_rise: float
    """... shrinking by this much at y = -``length`` (behind)."""
    front: float
    """Semi-axis in front."""
    back: float
    """Semi-axis behind."""
    side: float
    """Left-right semi-axis at y = 0 ..."""
    side_taper: float
    """... shrinking by this much per ``length`` towards the front (growing behind)."""
    length: float
    """Reference length of both slopes."""
    exponent: float
    """Superellipsoid exponent (2: an ellipsoid)."""
    wobble: float
    """Scale of the low-order shape perturbations (parameters ``P.SHAPE0`` on)."""
    inside: float
    """Distance returned at the centre itself."""


CEREBRUM = Cerebrum(70.0, 42.0, 4.0, 84.0, 89.0, 70.0, 4.0, 88.0, 2.4, 70.0, -40.0)


class Brainstem(NamedTuple):
    """Midbrain -> pons (bulging forward) -> medulla -> spinal cord: a tube of varying radius
    and front-back position, capped by a half-sphere at its top."""

    top: float
    """Height of the top (the midbrain)."""
    length: float
    """Height over which it moves backwards and thins (to the bottom of the neck)."""
    pons_z: float
    """Height of the pons ..."""
    pons_half: float
    """... and the half-height of its Gaussian bulge."""
    y: float
    """Front-back position at the top ..."""
    y_drift: float
    """... moving backwards by this much over ``length``."""
    pons_forward: float
    """Forward shift at the pons."""
    radius: float
    """Radius at the top ..."""
    pons_radius: float
    """... plus this at the pons ..."""
    taper: float
    """... minus this over ``length``."""
    own_below: float
    """Below this height, a point nearer the stem than the cerebrum and cerebellum is stem."""


BRAINSTEM = Brainstem(8.0, 132.0, -50.0, 13.0, -14.0, 10.0, 5.0, 8.5, 5.0, 2.0, -20.0)


class Blend(NamedTuple):
    """Widths of the smooth unions (``_smin``) joining the parts."""

    temporal: float
    """Cerebrum and temporal lobes."""
    cerebellum: float
    """Cerebrum and cerebellum."""
    brainstem: float
    """The brain and its stem."""
    face: float
    """The skull's cover and the face."""
    neck: float
    """The head and the neck."""


BLEND = Blend(10.0, 4.0, 6.0, 16.0, 20.0)

FORAMEN = -80.0
"""Height of the foramen magnum: the cranial cavity ends there."""


class SpinalCanal(NamedTuple):
    """Rings around the cord (distance from the brainstem's surface) below the foramen."""

    reach: float
    """How far above the foramen the canal's CSF ring is drawn."""
    csf: float
    """CSF ring's outer distance."""
    marrow: float
    """Vertebral marrow's outer distance (below the foramen) ..."""
    bone: float
    """... then compact bone to this distance."""


SPINAL_CANAL = SpinalCanal(4.0, 2.5, 6.5, 9.0)


class FaceRegion(NamedTuple):
    """Where eyes, orbits and air spaces are looked for: below ``top``, in front of ``front``."""

    top: float
    front: float


FACE_REGION = FaceRegion(-28.0, 20.0)


class Eye(NamedTuple):
    """Each eye: a CSF-like sphere (vitreous) in a sclera shell."""

    z: float
    y: float
    x: float
    """Distance from the midline."""
    radius: float
    sclera: float
    """Shell thickness."""


EYE = Eye(-42.0, 80.0, 31.0, 11.5, 1.0)
SINUS_WALL = 2.0
"""Bone around the maxillary sinuses."""


class Pharynx(NamedTuple):
    """An air tube below ``top``: centre ``y``, left-right squashed by ``squash``."""

    top: float
    y: float
    squash: float
    radius: float


PHARYNX = Pharynx(-70.0, 26.0, 1.6, 5.0)


class Diploe(NamedTuple):
    """The skull's marrow layer: its thickness (parameter ``P.MARROW``) modulated over the
    vault by field 4, thin in the skull base."""

    modulation: float
    """Amplitude of the modulation by the field."""
    low: float
    """Smallest factor ..."""
    high: float
    """... and largest."""
    base_top: float
    """Below this height (the skull base) ..."""
    base: float
    """... the thickness is multiplied by this."""


DIPLOE = Diploe(0.45, 0.3, 1.8, -25.0, 0.3)


class Scalp(NamedTuple):
    """Soft tissue outside the skull: fat patches, temporalis, deep tissue of face and neck."""

    patch_frequency: float
    """The patch field (field 4) is sampled at this multiple of the position ..."""
    patch_offset: float
    """... shifted this far in z (decorrelating it from the diploe's)."""
    around_fat: float
    """Patch value above which fat is connective tissue ("around fat") ..."""
    fat: float
    """... and above which deep tissue is fat."""
    depth: float
    """The scalp spans this many cover thicknesses outside the skull ..."""
    bottom: float
    """... above this height."""
    temporalis_side: float
    """Temporalis: farther than this from the midline, ..."""
    temporalis_half: float
    """... within this height of the centre, ..."""
    temporalis_back: float
    """... in front of this."""
    face_front: float
    """Deep tissue in front of ``face_front + face_slope * patch`` is fibrous (skin-like) ..."""
    face_slope: float
    """... the boundary following the patch field."""


SCALP = Scalp(2.0, 31.0, 0.6, 0.9, 2.0, -60.0, 40.0, 35.0, -45.0, 15.0, 4.0)


class SagittalSinus(NamedTuple):
    """The superior sagittal sinus: a triangle under the vertex, in the subarachnoid space."""

    bottom: float
    """Above this height ..."""
    depth: float
    """... within this distance of the dura ..."""
    slope: float
    """... and of half-width ``slope * (depth + cavity) + margin`` ..."""
    margin: float
    back: float
    """... in front of this."""


SAGITTAL_SINUS = SagittalSinus(10.0, 4.5, 0.5, 0.5, -80.0)


class CerebellarFolia(NamedTuple):
    """Folia: thin CSF laminae parallel to the cerebellum's surface around a white-matter core."""

    wave: float
    """Amplitude of the laminae's waviness (field 0) ..."""
    spacing: float
    """... their spacing ..."""
    half: float
    """... and half-width."""
    depth: float
    """Laminae only this deep below the surface."""
    cortex: float
    """Grey matter this deep ..."""
    cortex_wave: float
    """... plus this times the wave."""


CEREBELLAR_FOLIA = CerebellarFolia(2.0, 4.5, 0.5, 11.0, 17.0, 3.0)


class Fissure(NamedTuple):
    """The interhemispheric fissure, down to the corpus callosum."""

    cc_half: float
    """Half-length of the corpus callosum (front-back) ..."""
    cc_drop: float
    """... whose top sinks by this at its ends."""
    below: float
    """Below the callosum, the medial distance grows this fast with depth."""


FISSURE = Fissure(40.0, 14.0, 3.0)


class Sylvian(NamedTuple):
    """The Sylvian fissure: a steep sheet from the insula running forwards and outwards."""

    insula: float
    """Distance of the insula from the midline."""
    outward: float
    """Forward shift per mm outwards."""
    wave: float
    """Amplitude of its waviness (field 0) ..."""
    wave_frequency: float
    """... sampled at this multiple of the position ..."""
    wave_offset: float
    """... shifted this far in x."""
    half_height: float
    """Half its height around ``P.SYLVIAN_Z``."""
    half_width: float
    """CSF either side of the sheet."""


SYLVIAN = Sylvian(36.0, 0.7, 2.5, 0.5, 40.0, 14.0, 1.0)


class DeepRegion(NamedTuple):
    """The box holding ventricles and deep grey nuclei, and the septum pellucidum in it."""

    bottom: float
    top: float
    side: float
    """Half-width."""
    back: float
    front: float
    septum_half: float
    """Septum: half-width, ..."""
    septum_back: float
    """... in front of this, ..."""
    septum_bottom: float
    """... above this."""


DEEP_REGION = DeepRegion(-46.0, 26.0, 42.0, -62.0, 45.0, 0.6, -20.0, 6.0)


class Folding(NamedTuple):
    """Cortical folding (parameters ``P.FOLD_ALPHA`` to ``P.RIBBON_VAR`` set the per-head part)."""

    medial_blend: float
    """Width over which sulci turn from radial (convexity) to left-right (medial surface)."""
    depth_modulation: float
    """Relative modulation of the sulcal depth by field 4 ..."""
    depth_clip: float
    """... the field clipped to +-this."""
    ribbon_clip: float
    """The cortical thickness modulation's field clipped to +-this."""


FOLDING = Folding(4.0, 0.35, 1.5, 1.0)
