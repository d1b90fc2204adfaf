# MNIST on a sphere beyond discovery: the LieGAN baseline and the downstream CNNs.
#   {results}/discovery/mnist_sphere/liegan/seed{S}/{group,history}.json
#   {results}/downstream/mnist_sphere/{baseline,discovered}/seed{S}/metrics.json
#     (discovered: kernels tied by the group of {results}/discovery/mnist_sphere/seed{S}/group.json)
#   {results}/downstream/mnist_sphere/summary.csv and {results}/figures/mnist_sphere.pdf




rule sphere_liegan:
    wildcard_constraints:
        seed=r"\d+",
    input:
        data=lambda w: sphere_data("train"),
    output:
        group=f"{SPHERE_LIEGAN}/group.json",
        history=f"{SPHERE_LIEGAN}/history.json",
    params:
        args=lambda w: cli_args(dict(sphere()["liegan"]) | {"device": config["device"]}),
        out_dir=SPHERE_LIEGAN,
    threads: lambda w: resources_of(sphere(), "threads")
    resources:
        mem_mb=lambda w: resources_of(sphere(), "mem_mb"),
        runtime=lambda w: resources_of(sphere(), "runtime"),
        gpu=lambda w: resources_of(sphere(), "gpu"),
    log:
        f"{LOGS}/discovery/mnist_sphere/liegan/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/discovery/mnist_sphere/liegan/seed{{seed}}.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro liegan train {params.args} --data {input.data} --seed {wildcards.seed} --threads {threads}"
        " --out-dir {params.out_dir} > {log} 2>&1"


rule sphere_cnn:
    wildcard_constraints:
        variant="baseline|discovered",
        seed=r"\d+",
    input:
        train=lambda w: sphere_data("train"),
        test=lambda w: sphere_data("test"),
        val=lambda w: [sphere_data("val")] if "val" in sphere()["data"] else [],
        group=lambda w: [f"{RESULTS}/discovery/mnist_sphere/seed{w.seed}/group.json"] if w.variant == "discovered" else [],
    output:
        os.path.join(SPHERE_CNN, "metrics.json"),
    params:
        args=lambda w: cli_args(dict(sphere()["cnn"]) | {"device": config["device"]}),
        group=lambda w, input: f"--group {input.group}" if input.group else "",
        val=lambda w, input: f"--val {input.val}" if input.val else "",
    threads: lambda w: resources_of(sphere(), "threads")
    resources:
        mem_mb=lambda w: resources_of(sphere(), "mem_mb"),
        runtime=lambda w: resources_of(sphere(), "runtime"),
        gpu=lambda w: resources_of(sphere(), "gpu"),
    log:
        f"{LOGS}/downstream/mnist_sphere/{{variant}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/downstream/mnist_sphere/{{variant}}/seed{{seed}}.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro downstream mnist_sphere train --variant {wildcards.variant} {params.group} {params.args}"
        " --train {input.train} --test {input.test} {params.val} --seed {wildcards.seed} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule sphere_summary:
    input:
        **sphere_inputs(),
    output:
        report(
            f"{RESULTS}/downstream/mnist_sphere/summary.csv",
            caption="../report/mnist_sphere_summary.rst",
            category="Symmetry discovery",
            subcategory="mnist_sphere",
            labels={"experiment": "mnist_sphere", "type": "downstream summary"},
        ),
    localrule: True
    log:
        f"{LOGS}/downstream/mnist_sphere/summary.log",
    benchmark:
        f"{BENCHMARKS}/downstream/mnist_sphere/summary.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro downstream mnist_sphere summarize --groups {input.groups} --liegan {input.liegan}"
        " --metrics {input.metrics} --out {output} > {log} 2>&1"


rule sphere_figure:
    input:
        sample=lambda w: sphere_data("test"),
        **sphere_inputs(),
    output:
        report(
            f"{RESULTS}/figures/mnist_sphere.pdf",
            caption="../report/mnist_sphere_figure.rst",
            category="Symmetry discovery",
            subcategory="mnist_sphere",
            labels={"experiment": "mnist_sphere", "type": "figure"},
        ),
    localrule: True
    log:
        f"{LOGS}/figures/mnist_sphere.log",
    benchmark:
        f"{BENCHMARKS}/figures/mnist_sphere.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro downstream mnist_sphere plot --sample {input.sample} --groups {input.groups}"
        " --liegan {input.liegan} --metrics {input.metrics} --out {output} > {log} 2>&1"
