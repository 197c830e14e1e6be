"""Checks inferd's CUDA shared memory end to end on a GPU machine (stdlib + numpy; no tritonclient).

Allocates two device regions with the CUDA driver API (libcuda.so.1 via ctypes), exports them with
cuIpcGetMemHandle, fills the input with a known pattern, registers both over HTTP, runs an infer whose
input and output are both in CUDA shm, reads the output back and checks every value; then checks status,
an infer naming an unregistered region, and unregister.
Usage: python3 cuda_shm_check.py URL MODEL   (e.g. http://127.0.0.1:8000 identity_pt; the model must copy
its first FP32 input to its first output, and the server must run with --allow-client-shm=true).
Prints PASS/FAIL lines and exits non-zero on any failure.
"""
import base64
import ctypes
import json
import sys
import urllib.error
import urllib.request

import numpy as np

URL, MODEL = sys.argv[1].rstrip("/"), sys.argv[2]
cuda = ctypes.CDLL("libcuda.so.1")
failures = []


def check(what, ok, detail=""):
    print("%s %s%s" % ("PASS" if ok else "FAIL", what, (": " + detail) if detail and not ok else ""))
    if not ok:
        failures.append(what)


def cu(what, code):
    if code != 0:
        raise RuntimeError("%s failed: CUDA error %d" % (what, code))


def http(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Handle(ctypes.Structure):
    _fields_ = [("reserved", ctypes.c_char * 64)]


cu("cuInit", cuda.cuInit(0))
dev = ctypes.c_int()
cu("cuDeviceGet", cuda.cuDeviceGet(ctypes.byref(dev), 0))
ctx = ctypes.c_void_p()
cu("cuDevicePrimaryCtxRetain", cuda.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev))
cuda.cuCtxSetCurrent.argtypes = [ctypes.c_void_p]
cu("cuCtxSetCurrent", cuda.cuCtxSetCurrent(ctx))
cuda.cuMemcpyHtoD_v2.argtypes = [ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t]
cuda.cuMemcpyDtoH_v2.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_size_t]
cuda.cuIpcGetMemHandle.argtypes = [ctypes.POINTER(Handle), ctypes.c_uint64]

meta = json.loads(http("GET", "/v2/models/" + MODEL)[1])
inp, out = meta["inputs"][0], meta["outputs"][0]
shape = [1 if d < 0 else d for d in inp["shape"]]
values = np.arange(int(np.prod(shape)), dtype=np.float32) * 0.5 + 3.25
size = values.nbytes


def region(name):
    ptr = ctypes.c_uint64()
    cu("cuMemAlloc", cuda.cuMemAlloc_v2(ctypes.byref(ptr), ctypes.c_size_t(size)))
    handle = Handle()
    cu("cuIpcGetMemHandle", cuda.cuIpcGetMemHandle(ctypes.byref(handle), ptr.value))
    raw = base64.b64encode(ctypes.string_at(ctypes.addressof(handle), 64)).decode()
    status, text = http("POST", "/v2/cudasharedmemory/region/%s/register" % name,
                        {"raw_handle": {"b64": raw}, "device_id": 0, "byte_size": size})
    check("register %s" % name, status == 200, text)
    return ptr.value


in_ptr, out_ptr = region("check_in"), region("check_out")
cu("cuMemcpyHtoD", cuda.cuMemcpyHtoD_v2(in_ptr, values.ctypes.data, size))
zeros = np.zeros_like(values)
cu("cuMemcpyHtoD", cuda.cuMemcpyHtoD_v2(out_ptr, zeros.ctypes.data, size))

status, text = http("GET", "/v2/cudasharedmemory/status")
listed = json.loads(text) if status == 200 else []
check("status lists both regions", sorted(r["name"] for r in listed) == ["check_in", "check_out"]
      and all(r["byte_size"] == size and r["device_id"] == 0 for r in listed), text)


def infer(in_region, out_region):
    shm = lambda r: {"shared_memory_region": r, "shared_memory_byte_size": size, "shared_memory_offset": 0}
    return http("POST", "/v2/models/%s/infer" % MODEL, {
        "inputs": [{"name": inp["name"], "datatype": inp["datatype"], "shape": shape, "parameters": shm(in_region)}],
        "outputs": [{"name": out["name"], "parameters": shm(out_region)}],
    })


status, text = infer("check_in", "check_out")
check("infer with input and output in CUDA shm", status == 200, text)
got = np.empty_like(values)
cu("cuMemcpyDtoH", cuda.cuMemcpyDtoH_v2(got.ctypes.data, out_ptr, size))
check("every output value equals its input (%d values)" % values.size, np.array_equal(got, values),
      "first values %s" % got[:8])

status, text = infer("check_in", "not_registered")
check("infer naming an unregistered region is refused", status == 404 and "not_registered" in text, "%d %s" % (status, text))

for name in ("check_in", "check_out"):
    status, text = http("POST", "/v2/cudasharedmemory/region/%s/unregister" % name, {})
    check("unregister %s" % name, status == 200, text)
status, text = http("GET", "/v2/cudasharedmemory/status")
check("status empty after unregister", status == 200 and json.loads(text) == [], text)

cuda.cuMemFree_v2.argtypes = [ctypes.c_uint64]
cuda.cuMemFree_v2(in_ptr)
cuda.cuMemFree_v2(out_ptr)
print("CUDA SHM CHECK: %s" % ("PASS" if not failures else "FAIL (%s)" % ", ".join(failures)))
sys.exit(1 if failures else 0)
