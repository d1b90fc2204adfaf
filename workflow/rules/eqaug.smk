# Equivariance vs augmentation dynamics (Flinth & Ohlsson).
# Chain per experiment: dataset -> per-seed equivariant start -> one training job
# per regime and seed -> metrics.csv + summary.csv -> figure.


wildcard_constraints:
    experiment="|".join(config["eqaug"]["experiments"]) or "NONE",
    seed=r"\d+",
    regime="|".join(REGIMES),
    figure="|".join(eqaug_figure_names()) or "NONE",


rule eqaug_graphs:
    output:
        "data/eqaug/perm.h5",
    params:
        args=lambda w: eqaug_dataset_args("perm"),
    localrule: True
    log:
        "logs/data/eqaug/perm.log",
    benchmark:
        "benchmarks/data/eqaug/perm.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro data perm {params.args} --out {output} > {log} 2>&1"


rule eqaug_mnist_idx:
    output:
        expand("data/mnist/raw/{name}", name=MNIST_FILES),
    params:
        args=mnist_idx_args(),
        out_dir=lambda w, output: os.path.dirname(output[0]),
    localrule: True
    log:
        "logs/data/mnist/raw.log",
    benchmark:
        "benchmarks/data/mnist/raw.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro data mnist-idx {params.args} --out-dir {params.out_dir} > {log} 2>&1"


rule eqaug_mnist14:
    input:
        expand("data/mnist/raw/{name}", name=MNIST_FILES),
    output:
        "data/eqaug/mnist14.h5",
    params:
        args=lambda w: eqaug_dataset_args("mnist14"),
        raw_dir=lambda w, input: os.path.dirname(input[0]),
    localrule: True
    log:
        "logs/data/eqaug/mnist14.log",
    benchmark:
        "benchmarks/data/eqaug/mnist14.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro data mnist14 {params.args} --raw-dir {params.raw_dir} --out {output} > {log} 2>&1"


rule eqaug_shapes:
    output:
        "data/eqaug/shapes.h5",
    params:
        args=lambda w: eqaug_dataset_args("shapes"),
    localrule: True
    log:
        "logs/data/eqaug/shapes.log",
    benchmark:
        "benchmarks/data/eqaug/shapes.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro data shapes {params.args} --out {output} > {log} 2>&1"


rule eqaug_init:
    output:
        "results/eqaug/{experiment}/seed{seed}/init.pt",
    params:
        model=lambda w: eqaug_model_args(w.experiment),
    localrule: True
    log:
        "logs/eqaug/{experiment}/seed{seed}/init.log",
    benchmark:
        "benchmarks/eqaug/{experiment}/seed{seed}/init.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro eqaug init {params.model} --seed {wildcards.seed} --out {output} > {log} 2>&1"


rule eqaug_train:
    input:
        data=lambda w: eqaug_dataset_file(w.experiment),
        init="results/eqaug/{experiment}/seed{seed}/init.pt",
    output:
        "results/eqaug/{experiment}/seed{seed}/{regime}.csv",
    params:
        model=lambda w: eqaug_model_args(w.experiment),
        train=lambda w: eqaug_train_args(w.experiment),
        task=lambda w: eqaug(w.experiment)["task"],
    threads: lambda w: eqaug_resource(w.experiment, "threads")
    resources:
        mem_mb=lambda w: eqaug_resource(w.experiment, "mem_mb"),
        runtime=lambda w: eqaug_resource(w.experiment, "runtime"),
        gpu=lambda w: eqaug_resource(w.experiment, "gpu"),
    log:
        "logs/eqaug/{experiment}/seed{seed}/{regime}.log",
    benchmark:
        "benchmarks/eqaug/{experiment}/seed{seed}/{regime}.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro eqaug train {params.model} {params.train} --threads {threads}"
        " --experiment {wildcards.experiment} --task {params.task} --data {input.data}"
        " --init {input.init} --regime {wildcards.regime} --seed {wildcards.seed}"
        " --out {output} > {log} 2>&1"


rule eqaug_aggregate:
    input:
        lambda w: eqaug_run_files(w.experiment),
    output:
        metrics="results/eqaug/{experiment}/metrics.csv",
        summary=report(
            "results/eqaug/{experiment}/summary.csv",
            caption="../report/eqaug_summary.rst",
            category="Equivariance dynamics",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "type": "summary table"},
        ),
    localrule: True
    log:
        "logs/eqaug/{experiment}/aggregate.log",
    benchmark:
        "benchmarks/eqaug/{experiment}/aggregate.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro eqaug aggregate --inputs {input} --metrics {output.metrics}"
        " --summary {output.summary} > {log} 2>&1"


rule eqaug_figure:
    input:
        lambda w: eqaug_figure_metrics(w.figure),
    output:
        report(
            "results/figures/{figure}.pdf",
            caption="../report/eqaug_figure.rst",
            category="Equivariance dynamics",
            subcategory="figures",
            labels={"figure": "{figure}"},
        ),
    params:
        titles=lambda w: " ".join(shlex.quote(eqaug(e).get("title", e)) for e in eqaug_figure_experiments(w.figure)),
    localrule: True
    log:
        "logs/figures/{figure}.log",
    benchmark:
        "benchmarks/figures/{figure}.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro eqaug plot --metrics {input} --titles {params.titles} --out {output} > {log} 2>&1"
