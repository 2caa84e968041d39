"""semcom-sdr: deep joint source-channel coding over simulated and real radios."""

__version__ = "0.1.0"
