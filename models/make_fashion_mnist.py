#!/usr/bin/env python3
"""Binarized Fashion-MNIST for vae.ppl (numpy only): run from the repository root,
python3 models/make_fashion_mnist.py [--rows N]. Reads the IDX files of Debian's
dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/, installed by .ci/setup; nothing
is downloaded), scales each pixel to [0, 1] and binarizes it at 0.5, a fixed threshold so
that every run sees the same data, and writes models/fashion_mnist.train.npz (60,000
images) and models/fashion_mnist.test.npz (10,000), each with N, D = 784, X (uint8, N x D,
row-major) and the sizes K (latent dimensions) and H (decoder's hidden units) of vae.ppl;
and models/fashion_mnist.test16.npz, the first 16 test images, for ppl images.
--rows keeps the first N images of each, for a quick look. --small writes instead
models/vae.data.json, the data the example-model test fits vae.ppl to: the first 300
training images averaged over 7 x 7 blocks to 4 x 4 pixels, binarized at 0.5, with K = 2
and H = 16."""
import argparse
import gzip
import json
import os

import numpy as np

SOURCE = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))


def images(name):
    """The images of an IDX3 file (magic 2051, then count, rows, columns, big-endian) as
    an N x (rows * columns) array of bytes."""
    with gzip.open(os.path.join(SOURCE, name), "rb") as f:
        raw = f.read()
    magic, n, rows, cols = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 2051:
        raise SystemExit(f"{name}: not an IDX3 image file (magic {magic})")
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, rows * cols)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=None, help="keep the first N images of each split")
    parser.add_argument("--small", action="store_true", help="write models/vae.data.json (300 images of 4 x 4)")
    args = parser.parse_args()
    if not os.path.isdir(SOURCE):
        raise SystemExit(f"{SOURCE} is missing: install dataset-fashion-mnist (sudo .ci/setup)")
    if args.small:
        x = images("train-images-idx3-ubyte.gz")[:300].reshape(300, 4, 7, 4, 7).astype(np.float64) / 255
        binary = (x.mean(axis=(2, 4)) > 0.5).astype(int).reshape(300, 16)
        out = os.path.join(HERE, "vae.data.json")
        with open(out, "w") as f:
            json.dump({"N": 300, "D": 16, "K": 2, "H": 16, "X": binary.tolist()}, f, separators=(", ", ": "))
            f.write("\n")
        print(f"{out}: 300 images of 16 pixels, {binary.mean():.3f} of them on")
        return
    for split, name in [("train", "train-images-idx3-ubyte.gz"), ("test", "t10k-images-idx3-ubyte.gz")]:
        x = images(name)[: args.rows]
        binary = (x.astype(np.float64) / 255 > 0.5).astype(np.uint8)
        out = os.path.join(HERE, f"fashion_mnist.{split}.npz")
        np.savez(out, N=np.int64(binary.shape[0]), D=np.int64(binary.shape[1]), X=binary, K=np.int64(50), H=np.int64(400))
        print(f"{out}: {binary.shape[0]} images of {binary.shape[1]} pixels, {binary.mean():.3f} of them on")
        if split == "test":
            # The first 16 test images, for ppl images' grids of reconstructions.
            out = os.path.join(HERE, "fashion_mnist.test16.npz")
            np.savez(out, N=np.int64(16), D=np.int64(binary.shape[1]), X=binary[:16], K=np.int64(50), H=np.int64(400))
            print(f"{out}: the first 16 test images")


if __name__ == "__main__":
    main()
