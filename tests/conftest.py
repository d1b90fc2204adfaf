import functools
import http.server
import threading

import numpy as np
import pytest

from symrepro.datasets.hdf5 import write_arrays
from symrepro.datasets.stochastic_block import generate

# A small permutation model used by several tests: S10 on 10×10 adjacency matrices.
SMALL_MODEL = ["--group", "node_permutations", "--group-size", "10", "--channels", "1", "6",
               "--invariant-width", "8", "--head", "4", "1"]


@pytest.fixture(scope="session")
def small_model():
    return list(SMALL_MODEL)


@pytest.fixture(scope="session")
def graph_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "perm.h5"
    adjacency, label = generate(120, 5, 0.5, 0.05, seed=0)
    write_arrays(path, {"adjacency": adjacency, "label": label})
    return path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 with two mirror directories, good/ and bad/."""
    root = tmp_path / "www"
    (root / "good").mkdir(parents=True)
    (root / "bad").mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
