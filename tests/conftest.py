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


# Fuzz suite size (tests/test_hardening.py): a short default run, a long profile for a
# scheduled job: HYPOTHESIS_PROFILE=long python -m pytest tests/test_hardening.py
try:
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("long", max_examples=5000, deadline=None)
    if os.environ.get("HYPOTHESIS_PROFILE") == "long":
        _hyp_settings.load_profile("long")
except ImportError:  # hypothesis is a test extra
    pass
