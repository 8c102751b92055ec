"""conftest.py -- fixtures for Levee's system tests.

`pool` (per test) and `module_pool` (per test module) start servers and stop
every one of them by pid when the test or module ends, even on failure.  At
teardown a levee that did not exit 0 after SIGTERM (a crash, a sanitizer
report, a hang), or that logged a survived assertion (lv_fails_assert),
fails the test with the tail of its log.  `port` is a random
free loopback port for the module.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import levee_helpers as H  # noqa: E402


class Pool:
    def __init__(self, tmpdir):
        self.tmpdir = str(tmpdir)
        self.procs = []

    def levee(self, args, **kw):
        p = H.start_levee(self.tmpdir, args, **kw)
        self.procs.append(p)
        return p

    def knotd(self, port, **kw):
        p = H.start_knotd(self.tmpdir, port, **kw)
        self.procs.append(p)
        return p

    def nsd(self, port, **kw):
        p = H.start_nsd(self.tmpdir, port, **kw)
        self.procs.append(p)
        return p

    def close(self):
        bad = []
        for p in self.procs:
            rc = p.stop()
            if p.name.startswith("levee") and rc != 0:
                bad.append("%s pid %d exited %s after SIGTERM:\n%s" % (
                    p.name, p.pid, rc, p.tail()))
            elif p.name.startswith("levee") and \
                    "assertion failed (going on)" in p.text():
                # lv_fails_assert (common/assert.h): a bug survived
                bad.append("%s pid %d hit an assertion:\n%s" % (
                    p.name, p.pid, p.tail()))
        self.procs = []
        if bad:
            pytest.fail("\n".join(bad), pytrace=False)


@pytest.fixture
def pool(tmp_path):
    pl = Pool(tmp_path)
    yield pl
    pl.close()


@pytest.fixture(scope="module")
def module_pool(tmp_path_factory):
    pl = Pool(tmp_path_factory.mktemp("servers"))
    yield pl
    pl.close()


@pytest.fixture(scope="module")
def port():
    return H.free_port()
