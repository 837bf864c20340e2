"""Runs clickhouse-local's main from libchdb.so, so it can serve ClickHouse's HTTP interface.

Usage: python3 clickhouse-launcher.py <path/to/libchdb.so> [clickhouse-local arguments...]

Node cannot call this entry point itself (FFI trips ClickHouse's stack check), hence this tiny
launcher. The call returns only when the --query finishes: services/clickhouse.ts passes a
holder query that never ends and stops the server with KILL QUERY. Errors are printed by
ClickHouse itself to stderr. Development and tests only.
"""

import ctypes
import faulthandler
import sys


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    faulthandler.enable()  # a crash inside libchdb leaves a trace in the log, not silence
    print(f"clickhouse-launcher: loading {sys.argv[1]}", file=sys.stderr, flush=True)
    lib = ctypes.CDLL(sys.argv[1])
    args = [b"clickhouse"] + [arg.encode() for arg in sys.argv[2:]]
    argv = (ctypes.c_char_p * (len(args) + 1))(*args, None)
    lib.query_stable_v2.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    lib.query_stable_v2.restype = ctypes.c_void_p
    lib.query_stable_v2(len(args), argv)
    print("clickhouse-launcher: query returned, exiting", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
