"""test_man.py -- the man pages (docs/man/*.scd, scdoc) render, install,
and levee.yaml(5) documents exactly the keys of examples/levee.yaml and of
server/config.c (issue 18).

The key lists come from config_keys.py: "section.key" names read from the
example (commented keys too), from the page's "## section:" / "*key*"
entries and from config.c's key tables.  A key added to one and not the
others fails here with its name and where it is missing.
"""

import os
import re
import shutil
import subprocess

import pytest

import config_keys as K
import levee_helpers as H

MAN = os.path.join(H.REPO, "docs", "man")
PAGES = ["levee.8", "levee.yaml.5", "levee-ctl.8"]
EXAMPLE = os.path.join(H.REPO, "examples", "levee.yaml")
PAGE5 = os.path.join(MAN, "levee.yaml.5.scd")
CONFIG_C = os.path.join(H.REPO, "server", "config.c")


def build_dir():
    """The meson build directory of LEVEE_BIN (BUILDDIR/server/levee)."""
    return os.path.dirname(os.path.dirname(H.levee_bin()))


@pytest.mark.skipif(not shutil.which("scdoc") or not shutil.which("man"),
                    reason="scdoc or man missing (scripts/deps.sh installs them)")
@pytest.mark.parametrize("page", PAGES)
def test_page_renders(page, tmp_path):
    """scdoc turns the source into roff and man -l formats it without a
    warning; the page has its NAME, SYNOPSIS and SEE ALSO."""
    with open(os.path.join(MAN, page + ".scd"), "rb") as f:
        roff = subprocess.run(["scdoc"], stdin=f, capture_output=True, timeout=30)
    assert roff.returncode == 0, roff.stderr.decode()
    out = tmp_path / page
    out.write_bytes(roff.stdout)
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="0")
    r = subprocess.run(["man", "-l", str(out)], capture_output=True, text=True,
                       env=env, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = re.sub(r".\x08", "", r.stdout)       # overstrike bold/underline
    for head in ("NAME", "SYNOPSIS", "SEE ALSO"):
        assert head in text, "%s: no %s section" % (page, head)


def diff_message(a, a_name, b, b_name):
    missing = sorted(a - b)
    return "; ".join("key %s is in %s but not in %s" % (k, a_name, b_name)
                     for k in missing)


def test_yaml5_keys_match_example_and_config_c():
    """Every key of examples/levee.yaml is in levee.yaml(5) and the reverse,
    and both match the keys server/config.c accepts."""
    ex = K.example_keys(EXAMPLE)
    man = K.man_keys(PAGE5)
    src = K.source_keys(CONFIG_C)
    assert len(src) > 80, "config.c's key tables not read: %s" % sorted(src)
    errors = [m for m in (
        diff_message(ex, "examples/levee.yaml", man, "docs/man/levee.yaml.5.scd"),
        diff_message(man, "docs/man/levee.yaml.5.scd", ex, "examples/levee.yaml"),
        diff_message(src, "server/config.c", man, "docs/man/levee.yaml.5.scd"),
        diff_message(man, "docs/man/levee.yaml.5.scd", src, "server/config.c"),
    ) if m]
    assert not errors, "\n".join(errors)
    # and each entry states its default (or that it is required)
    text = open(PAGE5).read()
    for block in text.split("\n*")[1:]:
        name = block.split("*", 1)[0]
        if "\n\t" in block.split("\n\n")[0]:
            body = block.split("\n\n")[0]
            assert "Default" in body or "Required" in body, \
                "levee.yaml(5): key %s states no default" % name


@pytest.mark.skipif(not shutil.which("scdoc"), reason="no scdoc")
def test_meson_install(tmp_path):
    """meson install puts the binaries and the three pages under the prefix
    (DESTDIR in the test's directory; the unit: test_service.py)."""
    d = build_dir()
    if not os.path.exists(os.path.join(d, "build.ninja")):
        pytest.skip("LEVEE_BIN is not in a meson build directory")
    r = subprocess.run(["meson", "install", "-C", d, "--no-rebuild", "--quiet",
                        "--destdir", str(tmp_path)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    found = {os.path.relpath(os.path.join(root, f), str(tmp_path))
             for root, _, files in os.walk(str(tmp_path)) for f in files}
    for want in ("sbin/levee", "bin/levee-ctl", "share/man/man8/levee.8",
                 "share/man/man5/levee.yaml.5", "share/man/man8/levee-ctl.8"):
        assert any(f.endswith(want) for f in found), "%s not installed: %s" % (
            want, sorted(found))
