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
        args=lambda w: cli_args(sphere_cnn_settings(w.variant) | {"device": config["device"]}),
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
    params:
        check=lambda w: "--check-claim" if sphere().get("check_claim") else "",
    localrule: True
    log:
        f"{LOGS}/downstream/mnist_sphere/summary.log",
    benchmark:
        f"{BENCHMARKS}/downstream/mnist_sphere/summary.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro downstream mnist_sphere summarize --groups {input.groups} --liegan {input.liegan}"
        " --metrics {input.metrics} {params.check} --out {output} > {log} 2>&1"


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


# Climate beyond discovery: the icosahedral U-Nets.
#   {results}/downstream/climate/{baseline,discovered}/seed{S}/metrics.json
#     (baseline: SO(2)-gauge kernels; discovered: the kernel constraint derived from the
#      group.json of the discovery block `group_from`, seed S)
#   {results}/downstream/climate/summary.csv (with the claim check when `check_claim`) and
#   {results}/figures/climate.pdf (IoU curves, parameters, the probe spectra of `probes`)


rule climate_unet:
    wildcard_constraints:
        variant="baseline|discovered",
        seed=r"\d+",
    input:
        train=lambda w: climate_data("train"),
        test=lambda w: climate_data("test"),
        group=lambda w: [climate_group(w.seed)] if w.variant == "discovered" else [],
    output:
        os.path.join(CLIMATE_UNET, "metrics.json"),
    params:
        args=lambda w: cli_args(dict(climate()["unet"]) | {"device": config["device"]}),
        group=lambda w, input: f"--group {input.group}" if input.group else "",
    threads: lambda w: resources_of(climate(), "threads")
    resources:
        mem_mb=lambda w: resources_of(climate(), "mem_mb"),
        runtime=lambda w: resources_of(climate(), "runtime"),
        gpu=lambda w: resources_of(climate(), "gpu"),
    log:
        f"{LOGS}/downstream/climate/{{variant}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/downstream/climate/{{variant}}/seed{{seed}}.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro downstream climate train --variant {wildcards.variant} {params.group} {params.args}"
        " --train {input.train} --test {input.test} --seed {wildcards.seed} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule climate_summary:
    input:
        metrics=lambda w: climate_metrics(),
    output:
        report(
            f"{RESULTS}/downstream/climate/summary.csv",
            caption="../report/climate_summary.rst",
            category="Symmetry discovery",
            subcategory="climate",
            labels={"experiment": "climate", "type": "downstream summary"},
        ),
    params:
        check=lambda w: "--check-claim" if climate().get("check_claim") else "",
    localrule: True
    log:
        f"{LOGS}/downstream/climate/summary.log",
    benchmark:
        f"{BENCHMARKS}/downstream/climate/summary.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro downstream climate summarize --metrics {input.metrics} {params.check} --out {output} > {log} 2>&1"


rule climate_probe_verdict:
    input:
        symmetric=lambda w: climate_verdict_probe("symmetric"),
        control=lambda w: climate_verdict_probe("control"),
    output:
        report(
            f"{RESULTS}/downstream/climate/probes.csv",
            caption="../report/climate_probes.rst",
            category="Symmetry discovery",
            subcategory="climate",
            labels={"experiment": "climate", "type": "probe verdict"},
        ),
    params:
        check=lambda w: "--check" if climate()["probe_verdict"].get("check") else "",
        ratio=lambda w: climate()["probe_verdict"].get("ratio", 5.0),
    localrule: True
    log:
        f"{LOGS}/downstream/climate/probes.log",
    benchmark:
        f"{BENCHMARKS}/downstream/climate/probes.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro downstream climate probe-verdict --symmetric {input.symmetric} --control {input.control}"
        " --ratio {params.ratio} {params.check} --out {output} > {log} 2>&1"


rule climate_figure:
    input:
        metrics=lambda w: climate_metrics(),
        probes=lambda w: list(climate_probes().values()),
    output:
        report(
            f"{RESULTS}/figures/climate.pdf",
            caption="../report/climate_figure.rst",
            category="Symmetry discovery",
            subcategory="climate",
            labels={"experiment": "climate", "type": "figure"},
        ),
    params:
        probes=lambda w: " ".join(f"--probe {shlex.quote(f'{label}={path}')}" for label, path in climate_probes().items()),
    localrule: True
    log:
        f"{LOGS}/figures/climate.log",
    benchmark:
        f"{BENCHMARKS}/figures/climate.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro downstream climate plot --metrics {input.metrics} {params.probes} --out {output} > {log} 2>&1"
