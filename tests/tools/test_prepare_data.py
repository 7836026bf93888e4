#!/usr/bin/env python3
"""tools/prepare_data's checks on made-up inputs: a tarball whose file has the
wrong MD5, or lacks a file, is refused with the file named; a good directory
passes check_dir, a truncated one is refused naming the file.
Prints "N passed, M failed" (tally.py); exit status 1 on any failure."""
import gzip
import io
import os
import struct
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tally import check, finish, load_script

pd = load_script("tools/prepare_data")


def refused(fn, *args):
    try:
        fn(*args)
    except pd.PrepareError as e:
        return str(e)
    return ""


def tarball(path, files):
    with tarfile.open(path, "w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo("package/data/" + name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


with tempfile.TemporaryDirectory() as tmp:
    images = struct.pack(">IIII", 0x803, 2, 28, 28) + bytes(2 * 784)
    labels = struct.pack(">II", 0x801, 2) + bytes([3, 7])
    fake = {n: (images if "images" in n else labels) for n in pd.NAMES}
    tgz = os.path.join(tmp, "fake.tgz")
    tarball(tgz, fake)
    why = refused(pd.read_official_files, tgz)
    check("train-images-idx3-ubyte has md5" in why and pd.MNIST_MD5["train-images-idx3-ubyte"] in why,
          "a file with the wrong MD5 is refused, naming the file and the official MD5 (%s)" % why)
    tarball(tgz, {n: fake[n] for n in pd.NAMES[1:]})
    why = refused(pd.read_official_files, tgz)
    check("package/data/train-images-idx3-ubyte is missing" in why, "a missing file is named (%s)" % why)
    with open(tgz, "wb") as f:
        f.write(b"not a tarball")
    why = refused(pd.read_official_files, tgz)
    check("cannot read the tarball" in why, "a corrupt tarball is refused (%s)" % why)

    out = os.path.join(tmp, "idx")
    os.makedirs(out)
    for n in pd.NAMES:
        with gzip.open(os.path.join(out, n + ".gz"), "wb") as f:
            f.write(fake[n])
    train, test = pd.check_dir(out)
    check(train[0] == 2 and test[3][7] == 1, "a good directory passes check_dir")
    with gzip.open(os.path.join(out, pd.NAMES[2] + ".gz"), "wb") as f:
        f.write(images[:-5])
    why = refused(pd.check_dir, out)
    check(pd.NAMES[2] in why and "bytes" in why, "a truncated file is refused, naming it (%s)" % why)

finish()
