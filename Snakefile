# Reproduces two papers on symmetry in neural networks end to end:
#   eqaug      - equivariance vs augmentation dynamics (Flinth & Ohlsson)
#   discovery  - automatic (local) symmetry discovery (AtlasD), one rule family over
#                every experiment of the config's `discovery.experiments`
# See README.md; every config key is explained in config/README.md.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/eqaug.smk"
include: "workflow/rules/discovery.smk"
include: "workflow/rules/downstream.smk"


report: "workflow/report/workflow.rst"


rule all:
    input:
        all_targets(),
    default_target: True
