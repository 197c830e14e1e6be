"""TritonError and TritonModelException (re-exported by triton_python_backend_utils)."""


class TritonError(Exception):
    """An error for ``InferenceResponse(error=...)``; raising it from execute also fails the requests."""
    UNKNOWN = 0
    INTERNAL = 1
    NOT_FOUND = 2
    INVALID_ARG = 3
    UNAVAILABLE = 4
    UNSUPPORTED = 5
    ALREADY_EXISTS = 6
    CANCELLED = 7

    def __init__(self, message, code=INTERNAL):
        super().__init__(message)
        self._message = str(message)
        self._code = code

    def message(self):
        return self._message

    def code(self):
        return self._code


_CODE_NAMES = {
    TritonError.UNKNOWN: "UNKNOWN", TritonError.INTERNAL: "INTERNAL", TritonError.NOT_FOUND: "NOT_FOUND",
    TritonError.INVALID_ARG: "INVALID_ARG", TritonError.UNAVAILABLE: "UNAVAILABLE",
    TritonError.UNSUPPORTED: "UNSUPPORTED", TritonError.ALREADY_EXISTS: "ALREADY_EXISTS",
    TritonError.CANCELLED: "CANCELLED",
}


class TritonModelException(Exception):
    pass
