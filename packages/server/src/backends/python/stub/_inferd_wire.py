"""Framing between the inferd server and this stub, over one Unix stream socket (fd 3).

A frame is ``u32 LE header length | u32 LE body length | header (JSON, UTF-8) | body``. The header
describes the message; tensors travel raw in the body, back to back, in the order the header lists
them (never as JSON). Reads land in one bytearray per frame so numpy arrays can be views into it.
"""
import json
import os
import struct
import threading

_PREFIX = struct.Struct("<II")
# Linux caps one writev at IOV_MAX (1024) buffers.
_IOV_MAX = 1024


class Channel:
    def __init__(self, fd):
        self._fd = fd
        self._write_lock = threading.Lock()

    def _read_exact(self, n):
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            k = os.readv(self._fd, [view[got:]])
            if k == 0:
                raise EOFError("server closed the channel")
            got += k
        return buf

    def recv(self):
        """The next frame as (header dict, body bytearray); EOFError when the server is gone."""
        head_len, body_len = _PREFIX.unpack(self._read_exact(_PREFIX.size))
        head = json.loads(self._read_exact(head_len))
        body = self._read_exact(body_len) if body_len else bytearray()
        return head, body

    def send(self, head, buffers=()):
        """Writes one frame; `buffers` are byte-format memoryviews sent without copying. Thread-safe."""
        head_bytes = json.dumps(head, separators=(",", ":")).encode("utf-8")
        views = [memoryview(b) for b in buffers]
        body_len = sum(v.nbytes for v in views)
        parts = [memoryview(_PREFIX.pack(len(head_bytes), body_len) + head_bytes)] + [v for v in views if v.nbytes]
        with self._write_lock:
            _write_all(self._fd, parts)


def _write_all(fd, parts):
    i = 0
    while i < len(parts):
        batch = parts[i:i + _IOV_MAX]
        written = os.writev(fd, batch)
        # Skip whole buffers written, then trim a partly written one.
        for v in batch:
            if written >= v.nbytes:
                written -= v.nbytes
                i += 1
            else:
                parts[i] = v[written:]
                break
