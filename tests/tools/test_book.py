#!/usr/bin/env python3
"""bench/book.py's reading of nnlab's output, on made-up runs: a continued run
(--resume) counts its earlier epochs' training seconds and reports the test
accuracy at the best validation epoch; the ensemble row reads `nnlab eval`'s
vote, and names a missing model instead of running.
Prints "N passed, M failed" (tally.py); exit status 1 on any failure."""
import os
import stat
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tally import check, finish, load_script

book = load_script("bench/book.py")


CONTINUED = """device: cpu (1 thread, AVX-512 kernels)
training 784-conv20x5-relu-pool2-fc10-softmax (cross-entropy), 3 epochs, batch 10, eta 0.03, lambda 0, momentum 0, seed 2
data: 50000 training images, the next 10000 for validation, 10000 test images
continuing runs/ch6-dropout-s2.nnlr: 2 of 3 epochs done (412.5 s of training so far)
Epoch 0: 9871 / 10000  (validation 9860 / 10000)  200.00 s, 1250 samples/s, loss 0.3125
Epoch 1: 9925 / 10000  (validation 9912 / 10000)  212.50 s, 1176 samples/s, loss 0.0951
Epoch 2: 9943 / 10000  (validation 9911 / 10000)  205.00 s, 1219 samples/s, loss 0.0708
best validation accuracy 99.12% at epoch 1; test accuracy at that epoch 9925 / 10000 (99.25%)
"""
r = book.result(["nnlab"], "ch6-dropout", 2, 0, CONTINUED, 210.0)
check(r["wall_s"] == 622.5, "a continued run's wall time adds its earlier epochs' training (%s)" % r["wall_s"])
check(r["best_percent"] == 99.25 and r["best_epoch"] == 1,
      "chapter 6 reports the test accuracy at the best validation epoch, earlier epochs included (%s)" % r)
check(r["epochs"] == 3 and r["first_epoch_percent"] == 98.71, "every epoch line counts, the reprinted ones too")
r = book.result(["nnlab"], "ch6-dropout", 2, 0, CONTINUED.replace("continuing", "stopping"), 210.0)
check(r["wall_s"] == 210.0, "a run that did not continue is timed by its own wall clock")

with tempfile.TemporaryDirectory() as tmp:
    fake = os.path.join(tmp, "nnlab")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\necho \"$@\" > %s/args\necho 'ensemble of 2: accuracy: 9967 / 10000 (99.67%%)'\n" % tmp)
    os.chmod(fake, os.stat(fake).st_mode | stat.S_IEXEC)
    for s in (1, 2):
        open(os.path.join(tmp, "ch6-dropout-s%d.nnlb" % s), "w").close()
    e = book.ensemble(fake, "data/mnist", "ch6-dropout", [1, 2], tmp)
    check(e.get("percent") == 99.67 and e["book"] == 99.67, "the ensemble row reads nnlab eval's vote (%s)" % e)
    args = open(os.path.join(tmp, "args")).read().split()
    check(args == ["eval", "--data", "data/mnist", "--load", os.path.join(tmp, "ch6-dropout-s1.nnlb"), "--load",
                   os.path.join(tmp, "ch6-dropout-s2.nnlb")], "it loads each seed's saved model (%s)" % args)
    os.remove(os.path.join(tmp, "args"))
    e = book.ensemble(fake, "data/mnist", "ch6-dropout", [1, 2, 3], tmp)
    check("missing " + os.path.join(tmp, "ch6-dropout-s3.nnlb") in e.get("error", "") and
          not os.path.exists(os.path.join(tmp, "args")), "a missing model is named, and nothing runs")

finish()
