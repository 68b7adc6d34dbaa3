"""Writes the NumPy data fixtures of NumPyDataTests (run once; the files are committed).

kinds.npz and kinds_compressed.npz hold one array of each dtype ppl reads, for the model
in kinds.ppl, written by np.savez and np.savez_compressed; kinds.json holds the same data as
Stan JSON, which the test compares them with. zip64.npz has the same members in a zip
whose central directory and end records are all ZIP64 (as numpy writes them for members
over 4 GB), built here by hand from APPNOTE.TXT and checked by np.load. The rest are
single arrays, for the errors.
"""
import json
import struct
import zipfile
import zlib

import numpy as np

rng = np.random.default_rng(14)
N, K = 5, 3
kinds = {
    "N": np.array(N, dtype=np.int64),
    "K": np.array(K, dtype=np.int32),
    "X": rng.normal(size=(N, K)),
    "y": rng.normal(size=N).astype(np.float32),
    "counts": rng.integers(0, 1000, size=N).astype(np.int64),
    "offsets": rng.integers(-50, 50, size=N).astype(np.int32),
    "flags": rng.integers(0, 2, size=N).astype(np.bool_),
    "pixels": rng.integers(0, 256, size=(N, K)).astype(np.uint8),
    "scale": np.array(2.5),
    "whole": np.array([1.0, 2.0, 3.0]),
}
np.savez("kinds.npz", **kinds)
np.savez_compressed("kinds_compressed.npz", **kinds)
with open("kinds.json", "w") as f:
    json.dump({k: (v.astype(int) if v.dtype == np.bool_ else v).tolist() for k, v in kinds.items()}, f)


def zip64(path, members):
    """A stored zip whose every size and offset is in ZIP64 extra fields and records."""
    out = bytearray()
    directory = bytearray()
    for name, data in members:
        crc = zlib.crc32(data)
        offset = len(out)
        name = name.encode()
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra))
        out += name + extra + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                                 len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
        directory += name + extra
    start = len(out)
    out += directory
    end64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(members), len(members), len(directory), start)
    out += struct.pack("<IIQI", 0x07064B50, 0, end64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, "wb") as f:
        f.write(out)


def npy_bytes(array):
    import io
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


zip64("zip64.npz", [(k + ".npy", npy_bytes(v)) for k, v in kinds.items()])
with np.load("zip64.npz") as check, zipfile.ZipFile("zip64.npz") as z:
    assert z.testzip() is None
    for k, v in kinds.items():
        assert np.array_equal(check[k], v)

# One array each, for a model of one data value, vector[5] or matrix[2, 3].
np.save("vector.npy", np.arange(5, dtype=np.float64) / 4)
np.save("big_endian.npy", np.arange(5, dtype=">f8"))
np.save("fortran.npy", np.asfortranarray(np.arange(6.0).reshape(2, 3)))
np.save("objects.npy", np.array([1, "a", None, 2.0, 3], dtype=object), allow_pickle=True)
np.save("complex.npy", np.arange(5) * 1j)
np.save("halves.npy", np.arange(5, dtype=np.float16))
np.savez("fractional.npz", N=np.array(3), counts=np.array([1.0, 2.5, 3.0]))
np.savez("huge.npz", N=np.array(3), counts=np.array([1, 2**62, 3], dtype=np.int64))
np.savez("misshapen.npz", N=np.array(3), counts=np.array([[1, 2, 3]]))

# Seeds of the data fuzz target (Sources/ppl-fuzz), from its JSON seed.
with open("../../Fuzz/data/valid.json") as f:
    seed = json.load(f)
ints = {"N", "K", "counts"}
seed = {k: np.array(v, dtype=np.int64 if k in ints else np.float64) for k, v in seed.items()}
np.savez("../../Fuzz/data/valid.npz", **seed)
np.savez_compressed("../../Fuzz/data/valid_compressed.npz", **seed)
