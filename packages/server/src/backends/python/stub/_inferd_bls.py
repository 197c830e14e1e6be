"""Calls from this stub to the server (BLS requests, model control), waiting for their answers.

A model thread sends a frame with a fresh ``id`` and waits; the stub's reader thread hands every answer
frame carrying that id to ``deliver``. Waiting works from any thread (the main thread in ``execute``,
threads of a decoupled model) and from coroutines (``async_exec``) without blocking the event loop.
This module knows nothing of tensors: triton_python_backend_utils turns answers into responses.
"""
import asyncio
import collections
import itertools
import threading

import _inferd_runtime as _rt

_ids = itertools.count(1)
_lock = threading.Lock()
_pending = {}


class Call:
    """One outstanding call: answers ``(head, body)`` queue up until the model takes them."""

    def __init__(self):
        self.id = next(_ids)
        self._cond = threading.Condition()
        self._items = collections.deque()
        self._wakers = []
        self.finished = False

    def push(self, head, body):
        with self._cond:
            self._items.append((head, body))
            self._cond.notify_all()
            wakers, self._wakers = self._wakers, []
        for loop, future in wakers:
            loop.call_soon_threadsafe(_wake, future)

    def next(self):
        """The next answer, blocking until there is one."""
        with self._cond:
            while not self._items:
                self._cond.wait()
            return self._take()

    async def next_async(self):
        """The next answer, awaiting (the event loop keeps running other coroutines)."""
        loop = asyncio.get_running_loop()
        while True:
            with self._cond:
                if self._items:
                    return self._take()
                future = loop.create_future()
                self._wakers.append((loop, future))
            await future

    def _take(self):
        head, body = self._items.popleft()
        if head.get("final", True):
            self.finished = True
        return head, body


def _wake(future):
    if not future.done():
        future.set_result(None)


def start(head, buffers=()):
    """Sends ``head`` (its ``id`` filled in) and returns the Call collecting the answers."""
    if _rt.channel is None:
        raise RuntimeError("calls to the server (BLS, model control) work only inside a model run by inferd")
    call = Call()
    with _lock:
        _pending[call.id] = call
    try:
        _rt.channel.send(dict(head, id=call.id), buffers)
    except BaseException:
        with _lock:
            _pending.pop(call.id, None)
        raise
    return call


def deliver(head, body):
    """Reader thread: one answer frame (``bls_resp`` or ``control_result``)."""
    final = head.get("final", True)
    with _lock:
        call = _pending.pop(head["id"], None) if final else _pending.get(head["id"])
    if call is not None:
        call.push(head, body)


def cancel(call):
    if not call.finished:
        _rt.channel.send({"t": "bls_cancel", "id": call.id})
