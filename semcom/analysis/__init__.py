"""The research's analyses as tools (``semcom analyze``): what a trained model's
blocks and channel symbols look like, one module per analysis.

- :mod:`.similarity`: mean cosine similarity between spatial positions per block (SemViT).
- :mod:`.fourier`: diagonal 2-D FFT amplitude of each block's channel-mean map (SemViT).
- :mod:`.symbols`: Student's-t fit of the channel symbols (source-channel equilibrium).
- :mod:`.prior`: the prior regulariser's effect on convergence, short training runs.
- :mod:`.papr`: PAPR of the learned symbols over OFDM against Gaussian symbols.

:mod:`.hooks` records block outputs with forward hooks on named modules; :mod:`.common`
holds data loading, the forward pass through a channel, CSV and figure writing.
"""
