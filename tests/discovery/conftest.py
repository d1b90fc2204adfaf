import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Three agents share two cores: these tests run torch on one thread (restored after)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
