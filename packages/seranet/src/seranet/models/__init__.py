"""Networks (pure ``nn.Module`` s, no training logic): Reg blocks, reconstruction cascades,
UNet / UNet+ConvLSTM, segmentation-aware attention, SERANet-N and the paper's baselines.

Build one by name with :func:`build_model`; every model takes a :class:`ModelInput`, returns a
:class:`ModelOutput` and lists its training :class:`Stage` s.
"""

from seranet.models.attention import SegmentationAttention, segmentation_attention
from seranet.models.base import (
    STAGE_NAMES,
    ModelConfig,
    ModelInput,
    ModelOutput,
    SegmentationModel,
    Stage,
)
from seranet.models.baselines import FullySampled, Joint, TwoStep, ZeroFilling
from seranet.models.blocks import RegA, RegB, make_reg
from seranet.models.convlstm import ConvLSTMCell, LSTMState
from seranet.models.optimise import optimise_for_inference, optimise_for_training
from seranet.models.reconstruction import Cascade, ReconstructionModule
from seranet.models.registry import MODEL_NAMES, ModelSpec, build_model, parse_model_name
from seranet.models.segnetmri import SegNetMRI, SegNetMRIHead
from seranet.models.seranet import SERANet
from seranet.models.unet import UNet, UNetConvLSTM

__all__ = [
    "MODEL_NAMES",
    "STAGE_NAMES",
    "Cascade",
    "ConvLSTMCell",
    "FullySampled",
    "Joint",
    "LSTMState",
    "ModelConfig",
    "ModelInput",
    "ModelOutput",
    "ModelSpec",
    "ReconstructionModule",
    "RegA",
    "RegB",
    "SERANet",
    "SegNetMRI",
    "SegNetMRIHead",
    "SegmentationAttention",
    "SegmentationModel",
    "Stage",
    "TwoStep",
    "UNet",
    "UNetConvLSTM",
    "ZeroFilling",
    "build_model",
    "make_reg",
    "optimise_for_inference",
    "optimise_for_training",
    "parse_model_name",
    "segmentation_attention",
]
