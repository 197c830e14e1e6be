"""Framing between the inferd server and this stub, over one Unix stream socket (fd 3).

A frame is ``u32 LE header length | u32 LE body length | header (JSON, UTF-8) | body``. The header
describes the message; tensors travel raw in the body, back to back, in the order the header lists
them (never as JSON). Reads land in one bytearray per frame so numpy arrays can be views into it.

Large bodies (>= SHM_MIN_BYTES) skip the socket when the server passed two /dev/shm files (already
unlinked) as fds 4 and 5: a socket moves 4 MB in ~20 buffer-sized hops, each waking both processes,
which on a busy machine costs milliseconds; a file costs one copy each side and one wake-up.
- server -> stub: the server writes the body into fd 4 at an offset it picks; the header says
  ``shm_body: n, shm_at: offset``. This side maps fd 4 and hands out the body as a numpy uint8 array over
  those pages: tensors are views of it, so an input byte is written once (by the server) and never copied
  here. The region stays the body's while any view of it lives; when the last one goes (a weakref
  finalizer on the body array) this side answers ``shm_read`` with the body's ``at`` and the server may reuse the region.
- stub -> server: the stub writes the body into fd 5 at a free offset; the header says
  ``shm_offset``/``shm_size``. The server copies it out and answers ``shm_free`` (handled here).
"""
import collections
import json
import mmap
import os
import struct
import threading
import weakref

_PREFIX = struct.Struct("<II")
# Linux caps one writev at IOV_MAX (1024) buffers.
_IOV_MAX = 1024
SHM_MIN_BYTES = 64 * 1024


class Channel:
    def __init__(self, fd, shm_in=None, shm_out=None):
        self._fd = fd
        self._shm_in = shm_in
        self._shm_out = shm_out
        self._write_lock = threading.Lock()
        # Bump allocation in the stub -> server file; back to 0 once every region was freed.
        self._shm_lock = threading.Lock()
        self._shm_top = 0
        self._shm_size = 0
        self._shm_outstanding = 0
        # The mapping of the server -> stub file (remapped when a body lies past its end) and the bodies
        # released since the last frame went out (finalizers only queue; sending is left to send()).
        self._in_map = None
        self._in_map_size = 0
        self._released = collections.deque()

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
        while True:
            head_len, body_len = _PREFIX.unpack(self._read_exact(_PREFIX.size))
            head = json.loads(self._read_exact(head_len))
            body = self._read_exact(body_len) if body_len else bytearray()
            if head.get("t") == "shm_free":
                self._free_region()
                continue
            shm_body = head.get("shm_body")
            if shm_body is not None:
                body = self._mapped_body(int(head.get("shm_at", 0)), shm_body)
            return head, body

    def _mapped_body(self, offset, n):
        end = offset + n
        if self._in_map is None or self._in_map_size < end:
            size = os.fstat(self._shm_in).st_size
            if size < end:
                raise EOFError("shared memory body lies past the end of the file")
            # An older mapping lives on while views of it do; views keep writable semantics (MAP_SHARED
            # over this body's own region), as the bytearray bodies before them had.
            self._in_map = mmap.mmap(self._shm_in, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
            self._in_map_size = size
        # numpy is imported here, not at the top: a stub without numpy must still start and report that
        # one missing module cleanly (inferd_stub.py); only a large body needs it.
        import numpy as np  # noqa: PLC0415

        body = np.frombuffer(self._in_map, dtype=np.uint8, count=n, offset=offset)
        weakref.finalize(body, self._released.append, offset)
        return body

    def flush_released(self):
        """Tells the server about bodies released since the last frame (called when the stub goes idle)."""
        if self._released:
            self.send({"t": "shm_read"}, _released_only=True)

    def send(self, head, buffers=(), _released_only=False):
        """Writes one frame; `buffers` are byte-format memoryviews sent without copying. Thread-safe."""
        views = [v for v in (memoryview(b) for b in buffers) if v.nbytes]
        body_len = sum(v.nbytes for v in views)
        with self._write_lock:
            released = []
            while self._released:
                released.append(self._released.popleft())
            if _released_only:
                parts = [_frame_head({"t": "shm_read", "at": at}, 0) for at in released]
                if parts:
                    _write_all(self._fd, parts)
                return
            if self._shm_out is not None and body_len >= SHM_MIN_BYTES:
                offset = self._alloc_region(body_len)
                _pwrite_all(self._shm_out, views, offset)
                head = dict(head, shm_offset=offset, shm_size=body_len)
                views, body_len = [], 0
            # Releases first: the server may then put this frame's answer where a released body was.
            parts = [_frame_head({"t": "shm_read", "at": at}, 0) for at in released]
            parts += [_frame_head(head, body_len)] + views
            _write_all(self._fd, parts)

    def _alloc_region(self, n):
        with self._shm_lock:
            offset = self._shm_top
            self._shm_top += n
            self._shm_outstanding += 1
            if self._shm_top > self._shm_size:
                os.ftruncate(self._shm_out, self._shm_top)
                self._shm_size = self._shm_top
            return offset

    def _free_region(self):
        with self._shm_lock:
            self._shm_outstanding -= 1
            if self._shm_outstanding == 0:
                self._shm_top = 0


def _frame_head(head, body_len):
    head_bytes = json.dumps(head, separators=(",", ":")).encode("utf-8")
    return memoryview(_PREFIX.pack(len(head_bytes), body_len) + head_bytes)


def _pwrite_all(fd, views, offset):
    for v in views:
        done = 0
        while done < v.nbytes:
            done += os.pwrite(fd, v[done:], offset + done)
        offset += v.nbytes


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
