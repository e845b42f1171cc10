import os

import pytest

os.environ.pop("ACCELSPEC_PATH", None)  # tests see the shipped catalog unless they set it


@pytest.fixture
def restore_catalog():
    """Put the default catalog back after a test that loads user files."""
    import accelspec.hardware.catalog as cat

    saved = cat._DEFAULT
    yield
    cat._DEFAULT = saved


@pytest.fixture
def measurement_file(tmp_path):
    """``write(row)``: a measurements file (publisher Test, source S1) holding ``row``, a YAML
    list item written as in ``specs/measurements/*.yaml``; returns its path."""
    import textwrap

    def write(row: str, name: str = "rows.yaml"):
        f = tmp_path / name
        f.write_text(textwrap.dedent("""\
            schema: 1
            publisher: Test
            sources: {S1: {title: t, url: "https://example.org", date: "2025", publisher: Test}}
            measurements:
            """) + textwrap.indent(textwrap.dedent(row), "  "))
        return f

    return write


# Fuzz suite size (tests/test_hardening.py): a short default run, a long profile for a
# scheduled job: HYPOTHESIS_PROFILE=long python -m pytest tests/test_hardening.py
try:
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("long", max_examples=5000, deadline=None)
    if os.environ.get("HYPOTHESIS_PROFILE") == "long":
        _hyp_settings.load_profile("long")
except ImportError:  # hypothesis is a test extra
    pass
