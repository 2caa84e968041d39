"""FPGA path: HLS export (hls4ml) of trained JSCC bodies and C-simulation checks.

Imports ``semcom``; nothing imports ``fpga``. Not built yet.
"""
