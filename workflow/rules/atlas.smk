# Automatic local symmetry discovery (AtlasD), heat-equation experiment.
# Chain per atlas and seed: data -> per-chart predictors -> Lie algebra -> cosets;
# then summary.csv and the figure over all atlases and seeds.


wildcard_constraints:
    atlas=r"\d+",


rule atlas_pde_data:
    output:
        "data/atlas/pde.h5",
    params:
        args=lambda w: cli_args(config["atlas"]["pde"]["data"]),
    threads: 2
    resources:
        mem_mb=8000,
        runtime=60,
    log:
        "logs/data/atlas/pde.log",
    benchmark:
        "benchmarks/data/atlas/pde.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro data heat {params.args} --out {output} > {log} 2>&1"


rule atlas_pde_predictor:
    input:
        "data/atlas/pde.h5",
    output:
        "results/atlas/pde/atlas{atlas}/seed{seed}/predictor.pt",
    params:
        args=lambda w: atlas_step_args("predictor"),
    threads: lambda w: atlas_resource("threads")
    resources:
        mem_mb=lambda w: atlas_resource("mem_mb"),
        runtime=lambda w: atlas_resource("runtime"),
        gpu=lambda w: atlas_resource("gpu"),
    log:
        "logs/atlas/pde/atlas{atlas}/seed{seed}/predictor.log",
    benchmark:
        "benchmarks/atlas/pde/atlas{atlas}/seed{seed}/predictor.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro atlas train-predictor {params.args} --data {input} --atlas {wildcards.atlas}"
        " --seed {wildcards.seed} --threads {threads} --out {output} > {log} 2>&1"


rule atlas_pde_algebra:
    input:
        data="data/atlas/pde.h5",
        predictor="results/atlas/pde/atlas{atlas}/seed{seed}/predictor.pt",
    output:
        "results/atlas/pde/atlas{atlas}/seed{seed}/algebra.json",
    params:
        args=lambda w: atlas_step_args("algebra"),
    threads: lambda w: atlas_resource("threads")
    resources:
        mem_mb=lambda w: atlas_resource("mem_mb"),
        runtime=lambda w: atlas_resource("runtime"),
        gpu=lambda w: atlas_resource("gpu"),
    log:
        "logs/atlas/pde/atlas{atlas}/seed{seed}/algebra.log",
    benchmark:
        "benchmarks/atlas/pde/atlas{atlas}/seed{seed}/algebra.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro atlas discover-algebra {params.args} --data {input.data} --predictor {input.predictor}"
        " --atlas {wildcards.atlas} --seed {wildcards.seed} --threads {threads} --out {output} > {log} 2>&1"


rule atlas_pde_cosets:
    input:
        data="data/atlas/pde.h5",
        predictor="results/atlas/pde/atlas{atlas}/seed{seed}/predictor.pt",
        algebra="results/atlas/pde/atlas{atlas}/seed{seed}/algebra.json",
    output:
        "results/atlas/pde/atlas{atlas}/seed{seed}/cosets.json",
    params:
        args=lambda w: atlas_step_args("cosets"),
    threads: lambda w: atlas_resource("threads")
    resources:
        mem_mb=lambda w: atlas_resource("mem_mb"),
        runtime=lambda w: atlas_resource("runtime"),
        gpu=lambda w: atlas_resource("gpu"),
    log:
        "logs/atlas/pde/atlas{atlas}/seed{seed}/cosets.log",
    benchmark:
        "benchmarks/atlas/pde/atlas{atlas}/seed{seed}/cosets.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro atlas discover-cosets {params.args} --data {input.data} --predictor {input.predictor}"
        " --algebra {input.algebra} --atlas {wildcards.atlas} --seed {wildcards.seed} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule atlas_pde_summary:
    input:
        algebra=lambda w: atlas_run_files("algebra.json"),
        cosets=lambda w: atlas_run_files("cosets.json"),
    output:
        report(
            "results/atlas/pde/summary.csv",
            caption="../report/atlas_summary.rst",
            category="Local symmetry discovery",
            labels={"experiment": "pde", "type": "summary table"},
        ),
    localrule: True
    log:
        "logs/atlas/pde/summary.log",
    benchmark:
        "benchmarks/atlas/pde/summary.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro atlas summarize --algebra {input.algebra} --cosets {input.cosets} --out {output} > {log} 2>&1"


rule atlas_pde_figure:
    input:
        algebra=lambda w: atlas_run_files("algebra.json"),
        cosets=lambda w: atlas_run_files("cosets.json"),
    output:
        report(
            "results/figures/pde.pdf",
            caption="../report/atlas_figure.rst",
            category="Local symmetry discovery",
            labels={"experiment": "pde", "type": "figure"},
        ),
    localrule: True
    log:
        "logs/figures/pde.log",
    benchmark:
        "benchmarks/figures/pde.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro atlas plot --algebra {input.algebra} --cosets {input.cosets} --out {output} > {log} 2>&1"
