#!/usr/bin/env python3
"""Write the small model files mlake's model inspection is tested with.

Only the standard library is used: torch, numpy and joblib are not
installed, so their files are written the way they write them, with
stand-in modules registered under their names so that pickle records the
same imports (GLOBAL / STACK_GLOBAL) as the real libraries do. The output
is deterministic: run `python3 make.py` in this folder to write them again.
"""

import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def module(name):
    """A stand-in module registered in sys.modules (with its parents)."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        sub = ".".join(parts[:i])
        if sub not in sys.modules:
            sys.modules[sub] = types.ModuleType(sub)
            if i > 1:
                setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1],
                        sys.modules[sub])
    return sys.modules[name]


def define(module_name, name, obj):
    m = module(module_name)
    obj.__module__ = module_name
    obj.__qualname__ = name
    obj.__name__ = name
    setattr(m, name, obj)
    return obj


# --- plain pickles ----------------------------------------------------------

class Harmful:
    # What a malicious "model" does: loading it runs a shell command.
    def __reduce__(self):
        return (os.system, ("echo pwned",))


BENIGN = {"weights": [0.5, -1.25, 3.0], "labels": ["cat", "dog"],
          "layers": [1, 2, 3], "nested": {"ok": True, "none": None}}

# Protocol 4 records os.system under its real module (posix on Linux).
write("harmful.pkl", pickle.dumps(Harmful(), protocol=4))
# The classic hand-written payload: protocol 0, GLOBAL 'os system'.
write("harmful_p0.pkl", b"cos\nsystem\n(S'echo pwned'\ntR.")
write("benign.pkl", pickle.dumps(BENIGN, protocol=4))
write("benign_p0.pkl", pickle.dumps(BENIGN, protocol=0))
write("benign_p2.pkl", pickle.dumps(BENIGN, protocol=2))
write("benign_p5.pkl", pickle.dumps(BENIGN, protocol=5))

state = collections.OrderedDict()
state["layer1.weight"] = [[0.1, 0.2], [0.3, 0.4]]
state["layer1.bias"] = [0.0, 0.0]
state["step"] = 100
write("ordered_state.pkl", pickle.dumps(state, protocol=2))

# --- PyTorch: torch.save's zip layout ---------------------------------------


def _rebuild_tensor_v2(storage, storage_offset, size, stride,
                       requires_grad, backward_hooks):
    raise RuntimeError("stand-in")


def _rebuild_parameter(data, requires_grad, backward_hooks):
    raise RuntimeError("stand-in")


define("torch._utils", "_rebuild_tensor_v2", _rebuild_tensor_v2)
define("torch._utils", "_rebuild_parameter", _rebuild_parameter)
FloatStorage = define("torch", "FloatStorage", type("FloatStorage", (), {}))


class Storage:
    def __init__(self, key, data):
        self.key, self.data = key, data


class Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape

    def __reduce_ex__(self, protocol):
        stride, n = [], 1
        for d in reversed(self.shape):
            stride.insert(0, n)
            n *= d
        return (_rebuild_tensor_v2,
                (self.storage, 0, tuple(self.shape), tuple(stride), False,
                 collections.OrderedDict()))


class Parameter:
    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter,
                (self.tensor, True, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    # As torch.save: storages are persistent ids, their bytes zip entries.
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu",
                    len(obj.data) // 4)
        return None


def torch_zip(name, obj, storages):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        def entry(path, data):
            info = zipfile.ZipInfo("archive/" + path, (1980, 1, 1, 0, 0, 0))
            z.writestr(info, data)
        entry("data.pkl", buf.getvalue())
        entry("byteorder", b"little")
        for s in storages:
            entry("data/" + s.key, s.data)
        entry("version", b"3\n")
    write(name, out.getvalue())


w = Storage("0", struct.pack("<6f", 1, 2, 3, 4, 5, 6))
b = Storage("1", struct.pack("<3f", 0.5, 0.5, 0.5))
sd = collections.OrderedDict()
sd["fc.weight"] = Parameter(Tensor(w, [2, 3]))
sd["fc.bias"] = Tensor(b, [3])
torch_zip("pytorch.pt", sd, [w, b])
# A checkpoint that also runs a command when torch.load reads it.
torch_zip("pytorch_harmful.pt",
          collections.OrderedDict([("fc.bias", Tensor(b, [3])),
                                   ("payload", Harmful())]), [b])



class LegacyPickler(pickle.Pickler):
    # As torch.save before 1.6 (_legacy_save).
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu",
                    len(obj.data) // 4, None)
        return None


def torch_legacy(name, obj, storages):
    out = io.BytesIO()
    pickle.dump(0x1950a86a20f9469cfc6c, out, protocol=2)  # MAGIC_NUMBER
    pickle.dump(1001, out, protocol=2)  # PROTOCOL_VERSION
    pickle.dump({"protocol_version": 1001, "little_endian": True,
                 "type_sizes": {"short": 2, "int": 4, "long": 4}}, out,
                protocol=2)
    LegacyPickler(out, protocol=2).dump(obj)
    pickle.dump([s.key for s in storages], out, protocol=2)
    for s in storages:
        out.write(struct.pack("<q", len(s.data) // 4) + s.data)
    write(name, out.getvalue())


torch_legacy("pytorch_legacy.pt", sd, [w, b])

# --- joblib: a pickle with array bytes written inline -----------------------


class dtype:
    # numpy.dtype('<f8') as numpy pickles it.
    def __reduce__(self):
        return (dtype, ("f8", False, True),
                (3, "<", None, None, None, -1, -1, 0))


define("numpy", "dtype", dtype)
ndarray = define("numpy", "ndarray", type("ndarray", (), {}))
NumpyArrayWrapper = define("joblib.numpy_pickle", "NumpyArrayWrapper",
                           type("NumpyArrayWrapper", (), {}))


class Array:
    def __init__(self, values):
        self.values = values


class NumpyPickler(pickle._Pickler):
    # As joblib's: an array is pickled as a wrapper whose BUILD is followed
    # by a padding length byte, padding, then the raw array bytes.
    def save(self, obj, save_persistent_id=True):
        if not isinstance(obj, Array):
            return pickle._Pickler.save(self, obj, save_persistent_id)
        wrapper = NumpyArrayWrapper()
        wrapper.__dict__.update(subclass=ndarray, shape=(len(obj.values),),
                                order="C", dtype=dtype(), allow_mmap=False,
                                numpy_array_alignment_bytes=16)
        pickle._Pickler.save(self, wrapper)
        if self.proto >= 4:
            self.framer.commit_frame(force=True)
        f = self.file_handle
        padding = 16 - (f.tell() + 1) % 16
        f.write(bytes([padding]) + b"\xff" * padding)
        f.write(struct.pack("<%dd" % len(obj.values), *obj.values))


class Estimator:
    pass


define("sklearn.linear_model._base", "LinearRegression", Estimator)
est = Estimator()
est.__dict__.update(coef_=Array([1.5, -2.0, 0.25]), intercept_=0.5,
                    n_features_in_=3)
buf = io.BytesIO()
p = NumpyPickler(buf, protocol=4)
p.file_handle = buf
p.dump(est)
write("model.joblib", buf.getvalue())

# --- safetensors -------------------------------------------------------------

header = {
    "__metadata__": {"format": "pt", "source": "mlake testdata"},
    "fc.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
    "fc.bias": {"dtype": "F32", "shape": [3], "data_offsets": [24, 36]},
    "embed": {"dtype": "F16", "shape": [4, 2], "data_offsets": [36, 52]},
}
import json  # noqa: E402

text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
data = struct.pack("<6f", 1, 2, 3, 4, 5, 6) + struct.pack("<3f", 0, 0, 0)
data += b"\x00\x3c" * 8  # eight float16 ones
write("model.safetensors", struct.pack("<Q", len(text)) + text + data)

# --- GGUF (version 3) ---------------------------------------------------------


def gguf_string(s):
    s = s.encode()
    return struct.pack("<Q", len(s)) + s


GGUF_UINT32, GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY = 4, 6, 7, 8, 9
kv = [
    ("general.architecture", GGUF_STRING, gguf_string("llama")),
    ("general.name", GGUF_STRING, gguf_string("tiny-test")),
    ("general.alignment", GGUF_UINT32, struct.pack("<I", 32)),
    ("llama.context_length", GGUF_UINT32, struct.pack("<I", 128)),
    ("llama.rope.freq_base", GGUF_FLOAT32, struct.pack("<f", 10000.0)),
    ("tokenizer.ggml.add_bos_token", GGUF_BOOL, b"\x01"),
    ("tokenizer.ggml.tokens", GGUF_ARRAY,
     struct.pack("<IQ", GGUF_STRING, 3) + b"".join(
         gguf_string(t) for t in ["<s>", "</s>", "hi"])),
]
GGML_F32 = 0
tensors = [("token_embd.weight", [2, 4], GGML_F32),
           ("output_norm.weight", [2], GGML_F32)]
out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
for key, kind, value in kv:
    out += gguf_string(key) + struct.pack("<I", kind) + value
offset = 0
blobs = b""
for name, dims, kind in tensors:
    out += gguf_string(name) + struct.pack("<I", len(dims))
    out += b"".join(struct.pack("<Q", d) for d in dims)
    out += struct.pack("<IQ", kind, offset)
    n = 1
    for d in dims:
        n *= d
    blob = struct.pack("<%df" % n, *range(n))
    blob += b"\x00" * (-len(blob) % 32)
    blobs += blob
    offset += len(blob)
out += b"\x00" * (-len(out) % 32)
write("model.gguf", out + blobs)
