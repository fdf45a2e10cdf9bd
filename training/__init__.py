"""Training side of solewear: the synthetic data generator, data sets, training and evaluation.

It builds on `inference` (taxonomy, preprocessing, model definition) so that a
model is trained on exactly what the Predictor will feed it.
"""

import inference  # noqa: F401  - first: sets the offline, telemetry and cache environment before any library loads
