import os

import pytest

os.environ.pop("ACCELSPEC_PATH", None)  # tests see the shipped catalog unless they set it


@pytest.fixture
def restore_catalog():
    """Put the default catalog back after a test that loads user files."""
    import accelspec.catalog as cat

    saved = cat._DEFAULT
    yield
    cat._DEFAULT = saved
