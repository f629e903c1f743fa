"""The generative data engine: a schema-conformant tabular VAE with controlled drift.

Entry points: ``app.synth.train.train_synthesizer``, ``app.synth.synthesizer.Synthesizer``
(``sample``, ``sample_columns``, ``state_dict``, ``with_state_dict``),
``app.synth.synthesizer.interpolate`` and ``app.synth.artifacts`` (safetensors + JSON).
Submodules import torch only where they need it.
"""
