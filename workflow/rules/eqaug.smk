# Equivariance vs augmentation dynamics (Flinth & Ohlsson).
# Chain per experiment: dataset (data.smk) -> per-seed equivariant start -> one
# training job per regime and seed -> metrics.csv + summary.csv -> figure.
# Wildcard constraints are local to each rule, so rule families do not collide.


EQAUG_WILDCARDS = dict(experiment=regex(config["eqaug"]["experiments"]), seed=r"\d+", regime=regex(REGIMES))


rule eqaug_init:
    wildcard_constraints:
        **EQAUG_WILDCARDS,
    output:
        f"{RESULTS}/eqaug/{{experiment}}/seed{{seed}}/init.pt",
    params:
        model=lambda w: eqaug_model_args(w.experiment),
    localrule: True
    log:
        f"{LOGS}/eqaug/{{experiment}}/seed{{seed}}/init.log",
    benchmark:
        f"{BENCHMARKS}/eqaug/{{experiment}}/seed{{seed}}/init.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro eqaug init {params.model} --seed {wildcards.seed} --out {output} > {log} 2>&1"


rule eqaug_train:
    wildcard_constraints:
        **EQAUG_WILDCARDS,
    input:
        data=lambda w: dataset_file(eqaug(w.experiment)["dataset"]),
        init=f"{RESULTS}/eqaug/{{experiment}}/seed{{seed}}/init.pt",
    output:
        f"{RESULTS}/eqaug/{{experiment}}/seed{{seed}}/{{regime}}.csv",
    params:
        model=lambda w: eqaug_model_args(w.experiment),
        train=lambda w: eqaug_train_args(w.experiment),
        task=lambda w: eqaug(w.experiment)["task"],
    threads: lambda w: resources_of(eqaug(w.experiment), "threads")
    resources:
        mem_mb=lambda w: resources_of(eqaug(w.experiment), "mem_mb"),
        runtime=lambda w: resources_of(eqaug(w.experiment), "runtime"),
        gpu=lambda w: resources_of(eqaug(w.experiment), "gpu"),
    log:
        f"{LOGS}/eqaug/{{experiment}}/seed{{seed}}/{{regime}}.log",
    benchmark:
        f"{BENCHMARKS}/eqaug/{{experiment}}/seed{{seed}}/{{regime}}.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro eqaug train {params.model} {params.train} --threads {threads}"
        " --experiment {wildcards.experiment} --task {params.task} --data {input.data}"
        " --init {input.init} --regime {wildcards.regime} --seed {wildcards.seed}"
        " --out {output} > {log} 2>&1"


rule eqaug_aggregate:
    wildcard_constraints:
        **EQAUG_WILDCARDS,
    input:
        lambda w: eqaug_run_files(w.experiment),
    output:
        metrics=f"{RESULTS}/eqaug/{{experiment}}/metrics.csv",
        summary=report(
            f"{RESULTS}/eqaug/{{experiment}}/summary.csv",
            caption="../report/eqaug_summary.rst",
            category="Equivariance dynamics",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "type": "summary table"},
        ),
    params:
        check=lambda w: "--check-claim" if eqaug(w.experiment).get("check_claim", False) else "",
    localrule: True
    log:
        f"{LOGS}/eqaug/{{experiment}}/aggregate.log",
    benchmark:
        f"{BENCHMARKS}/eqaug/{{experiment}}/aggregate.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro eqaug aggregate {params.check} --inputs {input} --metrics {output.metrics}"
        " --summary {output.summary} > {log} 2>&1"


rule eqaug_figure:
    wildcard_constraints:
        figure=regex(eqaug_figure_names()),
    input:
        lambda w: eqaug_figure_metrics(w.figure),
    output:
        report(
            f"{RESULTS}/figures/{{figure}}.pdf",
            caption="../report/eqaug_figure.rst",
            category="Equivariance dynamics",
            subcategory="figures",
            labels={"figure": "{figure}"},
        ),
    params:
        titles=lambda w: " ".join(shlex.quote(eqaug(e).get("title", e)) for e in eqaug_figure_experiments(w.figure)),
    localrule: True
    log:
        f"{LOGS}/figures/{{figure}}.log",
    benchmark:
        f"{BENCHMARKS}/figures/{{figure}}.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro eqaug plot --metrics {input} --titles {params.titles} --out {output} > {log} 2>&1"
