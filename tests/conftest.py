import functools
import http.server
import io
import tarfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

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


@pytest.fixture(scope="session")
def npy_archive():
    """Build a .tar.gz holding one .npy file per {member path: array}, like a GitHub archive."""

    def build(members: dict, compresslevel: int = 1) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=compresslevel) as tar:
            for name, array in members.items():
                raw = io.BytesIO()
                np.save(raw, array)
                info = tarfile.TarInfo(name)
                info.size = raw.tell()
                raw.seek(0)
                tar.addfile(info, raw)
        return buf.getvalue()

    return build


# --------------------------------------------- a local HTTP "mirror" on 127.0.0.1
@dataclass
class MirrorServer:
    """Serves `root` at `url`. Besides plain files under any directory of `root`:

    * `/truncated/<path>` announces the full length of `root/good/<path>` but sends
      only half of it, then closes the connection;
    * `/flaky/<path>` answers 503 to the first `flaky_failures` requests of each
      path, then serves `root/good/<path>`.

    `requests` lists every path asked for, in order.
    """

    root: Path
    url: str = ""
    flaky_failures: int = 1
    requests: list = field(default_factory=list)
    _seen: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, mirror: MirrorServer, **kwargs):
        self.mirror = mirror
        super().__init__(*args, directory=str(mirror.root), **kwargs)

    def log_message(self, *args):
        pass

    def do_GET(self):
        with self.mirror._lock:
            self.mirror.requests.append(self.path)
            count = self.mirror._seen[self.path] = self.mirror._seen.get(self.path, 0) + 1
        kind, _, rest = self.path.lstrip("/").partition("/")
        if kind == "truncated":
            body = (self.mirror.root / "good" / rest).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if kind == "flaky":
            if count <= self.mirror.flaky_failures:
                self.send_error(503, "try again")
                return
            self.path = "/good/" + rest
        super().do_GET()


@pytest.fixture
def mirror(tmp_path):
    """A running MirrorServer whose root has empty good/ and bad/ directories."""
    root = tmp_path / "www"
    (root / "good").mkdir(parents=True)
    (root / "bad").mkdir()
    state = MirrorServer(root)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, mirror=state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
