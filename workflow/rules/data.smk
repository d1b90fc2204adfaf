# Datasets, shared by both papers. The raw MNIST files are one rule (downloaded and
# MD5-checked, or the offline synthetic stand-in); every other dataset is
# `{data}/{name}.h5`, made by `symrepro data <command>` with the options of its
# `datasets.<name>` config entry (see config/README.md).


rule data_mnist_idx:
    output:
        expand(f"{MNIST_RAW}/{{name}}", name=MNIST_FILES),
    params:
        args=mnist_idx_args(),
        out_dir=lambda w, output: os.path.dirname(output[0]),
    localrule: True
    log:
        f"{LOGS}/data/mnist_raw.log",
    benchmark:
        f"{BENCHMARKS}/data/mnist_raw.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro data mnist-idx {params.args} --out-dir {params.out_dir} > {log} 2>&1"


rule data_file:
    input:
        lambda w: dataset_inputs(w.dataset),
    output:
        f"{DATA}/{{dataset}}.h5",
    wildcard_constraints:
        dataset=regex(dataset_names()),
    params:
        args=lambda w: dataset_args(w.dataset),
    threads: 2
    localrule: True
    log:
        f"{LOGS}/data/{{dataset}}.log",
    benchmark:
        f"{BENCHMARKS}/data/{{dataset}}.tsv"
    conda:
        "../../envs/symrepro.yaml"
    shell:
        "symrepro data {params.args} --threads {threads} --out {output} > {log} 2>&1"
