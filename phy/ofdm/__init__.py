"""OFDM: numerology, resource grid, modulation, channel estimation, equalisation."""

from .config import OFDMConfig, preset
from .modulator import OFDMDemodulator, OFDMModulator
from .resource_grid import ResourceGrid, ResourceGridDemapper, ResourceGridMapper

__all__ = ["OFDMConfig", "OFDMDemodulator", "OFDMModulator", "ResourceGrid", "ResourceGridDemapper",
           "ResourceGridMapper", "preset"]
