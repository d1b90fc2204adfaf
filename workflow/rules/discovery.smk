# Symmetry discovery (AtlasD) for every experiment of `discovery.experiments`.
# Chain per experiment, view (atlas) and seed, under {results}/discovery/{experiment}/{run}/
# with run = {view}/seed{S} (or seed{S} for single-view experiments):
#   predictor.pt -> algebra.json -> cosets.json (when the block has `cosets`) -> group.json
#   [-> eval.json when the block names an `eval` data set]
#   [-> probe.json when the block has `probe` (excess loss along five fixed directions)]
# then summary.csv over all runs and the figure {results}/figures/{experiment}.pdf.
# The predictor is trained once and frozen: algebra and cosets are measured against it.

DISCOVERY_WILDCARDS = dict(
    experiment=regex(discovery_experiments()),
    run=rf"(({regex(discovery_views())})/)?seed\d+",
)
DISCOVERY_RUN = f"{RESULTS}/discovery/{{experiment}}/{{run}}"


rule discovery_predictor:
    wildcard_constraints:
        **DISCOVERY_WILDCARDS,
    input:
        data=lambda w: discovery_data(w.experiment),
    output:
        f"{DISCOVERY_RUN}/predictor.pt",
    params:
        run=discovery_run_arguments,
        args=lambda w: discovery_step_args(w.experiment, "predictor"),
    threads: lambda w: resources_of(discovery(w.experiment), "threads")
    resources:
        mem_mb=lambda w: resources_of(discovery(w.experiment), "mem_mb"),
        runtime=lambda w: resources_of(discovery(w.experiment), "runtime"),
        gpu=lambda w: resources_of(discovery(w.experiment), "gpu"),
    log:
        f"{LOGS}/discovery/{{experiment}}/{{run}}/predictor.log",
    benchmark:
        f"{BENCHMARKS}/discovery/{{experiment}}/{{run}}/predictor.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro discovery predictor {params.run} {params.args} --data {input.data} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule discovery_algebra:
    wildcard_constraints:
        **DISCOVERY_WILDCARDS,
    input:
        data=lambda w: discovery_data(w.experiment),
        predictor=f"{DISCOVERY_RUN}/predictor.pt",
    output:
        f"{DISCOVERY_RUN}/algebra.json",
    params:
        run=discovery_run_arguments,
        args=lambda w: discovery_step_args(w.experiment, "algebra"),
    threads: lambda w: resources_of(discovery(w.experiment), "threads")
    resources:
        mem_mb=lambda w: resources_of(discovery(w.experiment), "mem_mb"),
        runtime=lambda w: resources_of(discovery(w.experiment), "runtime"),
        gpu=lambda w: resources_of(discovery(w.experiment), "gpu"),
    log:
        f"{LOGS}/discovery/{{experiment}}/{{run}}/algebra.log",
    benchmark:
        f"{BENCHMARKS}/discovery/{{experiment}}/{{run}}/algebra.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro discovery algebra {params.run} {params.args} --data {input.data}"
        " --predictor {input.predictor} --threads {threads} --out {output} > {log} 2>&1"


rule discovery_cosets:
    wildcard_constraints:
        experiment=regex(discovery_with_cosets()),
        run=DISCOVERY_WILDCARDS["run"],
    input:
        data=lambda w: discovery_data(w.experiment),
        predictor=f"{DISCOVERY_RUN}/predictor.pt",
        algebra=f"{DISCOVERY_RUN}/algebra.json",
    output:
        f"{DISCOVERY_RUN}/cosets.json",
    params:
        run=discovery_run_arguments,
        args=lambda w: discovery_step_args(w.experiment, "cosets"),
    threads: lambda w: resources_of(discovery(w.experiment), "threads")
    resources:
        mem_mb=lambda w: resources_of(discovery(w.experiment), "mem_mb"),
        runtime=lambda w: resources_of(discovery(w.experiment), "runtime"),
        gpu=lambda w: resources_of(discovery(w.experiment), "gpu"),
    log:
        f"{LOGS}/discovery/{{experiment}}/{{run}}/cosets.log",
    benchmark:
        f"{BENCHMARKS}/discovery/{{experiment}}/{{run}}/cosets.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro discovery cosets {params.run} {params.args} --data {input.data}"
        " --predictor {input.predictor} --algebra {input.algebra} --threads {threads} --out {output} > {log} 2>&1"


rule discovery_group:
    wildcard_constraints:
        **DISCOVERY_WILDCARDS,
    input:
        algebra=f"{DISCOVERY_RUN}/algebra.json",
        cosets=discovery_cosets_input,
    output:
        f"{DISCOVERY_RUN}/group.json",
    params:
        cosets=lambda w, input: f"--cosets {input.cosets}" if input.cosets else "",
        spec=lambda w: spec_name(w.experiment),
    localrule: True
    log:
        f"{LOGS}/discovery/{{experiment}}/{{run}}/group.log",
    benchmark:
        f"{BENCHMARKS}/discovery/{{experiment}}/{{run}}/group.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro discovery group --experiment {params.spec} --algebra {input.algebra} {params.cosets}"
        " --out {output} > {log} 2>&1"


rule discovery_evaluate:
    wildcard_constraints:
        experiment=regex(discovery_with_evaluation()),
        run=DISCOVERY_WILDCARDS["run"],
    input:
        data=lambda w: discovery_data(w.experiment, "eval"),
        predictor=f"{DISCOVERY_RUN}/predictor.pt",
    output:
        f"{DISCOVERY_RUN}/eval.json",
    params:
        run=discovery_run_arguments,
        device=config["device"],
    threads: lambda w: resources_of(discovery(w.experiment), "threads")
    resources:
        mem_mb=lambda w: resources_of(discovery(w.experiment), "mem_mb"),
        runtime=lambda w: resources_of(discovery(w.experiment), "runtime"),
    log:
        f"{LOGS}/discovery/{{experiment}}/{{run}}/eval.log",
    benchmark:
        f"{BENCHMARKS}/discovery/{{experiment}}/{{run}}/eval.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro discovery evaluate {params.run} --device {params.device} --data {input.data}"
        " --predictor {input.predictor} --threads {threads} --out {output} > {log} 2>&1"


rule discovery_probe:
    wildcard_constraints:
        experiment=regex(discovery_with_probe()),
        run=DISCOVERY_WILDCARDS["run"],
    input:
        data=lambda w: discovery_data(w.experiment, "eval" if "eval" in discovery(w.experiment)["data"] else "train"),
        predictor=f"{DISCOVERY_RUN}/predictor.pt",
    output:
        f"{DISCOVERY_RUN}/probe.json",
    params:
        run=discovery_run_arguments,
        args=lambda w: discovery_step_args(w.experiment, "probe"),
    threads: lambda w: resources_of(discovery(w.experiment), "threads")
    resources:
        mem_mb=lambda w: resources_of(discovery(w.experiment), "mem_mb"),
        runtime=lambda w: resources_of(discovery(w.experiment), "runtime"),
        gpu=lambda w: resources_of(discovery(w.experiment), "gpu"),
    log:
        f"{LOGS}/discovery/{{experiment}}/{{run}}/probe.log",
    benchmark:
        f"{BENCHMARKS}/discovery/{{experiment}}/{{run}}/probe.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro discovery probe {params.run} {params.args} --data {input.data}"
        " --predictor {input.predictor} --threads {threads} --out {output} > {log} 2>&1"


rule discovery_summary:
    wildcard_constraints:
        experiment=DISCOVERY_WILDCARDS["experiment"],
    input:
        groups=lambda w: discovery_run_files(w.experiment, "group.json"),
        algebras=lambda w: discovery_run_files(w.experiment, "algebra.json"),
        evaluations=lambda w: discovery_evaluations(w.experiment),
    output:
        report(
            f"{RESULTS}/discovery/{{experiment}}/summary.csv",
            caption="../report/discovery_summary.rst",
            category="Symmetry discovery",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "type": "summary table"},
        ),
    params:
        evaluations=lambda w, input: f"--evaluations {input.evaluations}" if input.evaluations else "",
        spec=lambda w: spec_name(w.experiment),
    localrule: True
    log:
        f"{LOGS}/discovery/{{experiment}}/summary.log",
    benchmark:
        f"{BENCHMARKS}/discovery/{{experiment}}/summary.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro discovery summarize --experiment {params.spec} --groups {input.groups}"
        " --algebras {input.algebras} {params.evaluations} --out {output} > {log} 2>&1"


rule discovery_figure:
    wildcard_constraints:
        experiment=regex(discovery_with_figure()),
    input:
        groups=lambda w: discovery_run_files(w.experiment, "group.json"),
        algebras=lambda w: discovery_run_files(w.experiment, "algebra.json"),
    output:
        report(
            f"{RESULTS}/figures/{{experiment}}.pdf",
            caption="../report/discovery_figure.rst",
            category="Symmetry discovery",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "type": "figure"},
        ),
    params:
        spec=lambda w: spec_name(w.experiment),
    localrule: True
    log:
        f"{LOGS}/figures/{{experiment}}.log",
    benchmark:
        f"{BENCHMARKS}/figures/{{experiment}}.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro discovery plot --experiment {params.spec} --groups {input.groups}"
        " --algebras {input.algebras} --out {output} > {log} 2>&1"
