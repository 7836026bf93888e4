"""The count the tools' tests keep: check(ok, what) prints "ok - what" or
"FAILED - what"; finish() prints "N passed, M failed" and exits 1 on any failure."""
import sys

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
