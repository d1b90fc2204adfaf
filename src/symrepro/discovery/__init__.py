"""Automatic local symmetry discovery (AtlasD).

Modules: `charts` (atlas, patch extraction, patch transforms), `lie_algebra`
(learnable basis, regularisers, group sampling, field representations),
`equivariance_loss`, `predictors` (per-chart CNNs as grouped convolutions),
`trainers` (local and global discovery loops), `cosets` (candidates, closed-form
identity-component test, selection), `pde` (heat-equation atlases, exact
predictor), `summary`, `plot`, `cli`.
"""
