"""The count the tools' tests keep: check(ok, what) prints "ok - what" or
"FAILED - what"; finish() prints "N passed, M failed" and exits 1 on any failure.
load_script("tools/prepare_data") imports a script of the repository (ROOT) as a module."""
import importlib.machinery
import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_script(relpath):
    """The script at ROOT/relpath as a module, whether or not its name ends in .py."""
    name = os.path.basename(relpath).removesuffix(".py")
    loader = importlib.machinery.SourceFileLoader(name, os.path.join(ROOT, relpath))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("FAILED - " + what)


def finish():
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
