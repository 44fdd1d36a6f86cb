#!/usr/bin/env python3
"""A QAP1 client that speaks the way pyRserve does (stdlib only), for
rwarden's tests: connect, wait 0.2 s and read the identification string
with one recv(1024), check it starts with b'Rsrv01', then send CMD_eval
with a DT_STRING parameter in pyRserve's always-large (8-byte) header.
After an error answer it asks geterrmessage(), as pyRserve.eval() does.

Usage: pyrserve_like.py HOST PORT CODE... ; prints one JSON object per
code: {"code": ..., "ok": bool, "status": int, "value": ..., "error": ...}
"""
import json
import socket
import struct
import sys
import time

CMD_EVAL = 0x003
RESP_OK = 0x10001
DT_STRING, DT_SEXP, DT_LARGE = 4, 10, 64
XT_ARRAY_INT, XT_ARRAY_DOUBLE, XT_ARRAY_STR, XT_ARRAY_BOOL = 32, 33, 34, 36
XT_LARGE, XT_HAS_ATTR = 64, 128


def pad4(b):
    return b + b"\0" * (4 - len(b) % 4 if len(b) % 4 else 0)


def large_head(typ, length):
    # pyRserve writes every data header in the large form.
    return struct.pack("<BQ", typ | DT_LARGE, length)[:8]


def eval_message(code):
    data = pad4(code.encode("utf-8") + b"\0")
    body = large_head(DT_STRING, len(data)) + data
    n = len(body)
    return struct.pack("<IIII", CMD_EVAL, n & 0xFFFFFFFF, 0, n >> 32) + body


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def item_head(b, off):
    word = struct.unpack_from("<I", b, off)[0]
    typ, length, off = word & 0xFF, word >> 8, off + 4
    if typ & XT_LARGE:
        length |= struct.unpack_from("<I", b, off)[0] << 24
        off += 4
        typ &= ~XT_LARGE
    return typ, length, off


def parse_sexp(b, off):
    typ, length, off = item_head(b, off)
    end = off + length
    if typ & XT_HAS_ATTR:
        typ &= ~XT_HAS_ATTR
        _, alen, aoff = item_head(b, off)
        off = aoff + alen
    if typ == XT_ARRAY_DOUBLE:
        vals = list(struct.unpack_from("<%dd" % ((end - off) // 8), b, off))
    elif typ == XT_ARRAY_INT:
        vals = list(struct.unpack_from("<%di" % ((end - off) // 4), b, off))
    elif typ == XT_ARRAY_STR:
        vals = [None if s == b"\xff" else s.decode("utf-8") for s in b[off:end].split(b"\0")[:-1]]
    elif typ == XT_ARRAY_BOOL:
        n = struct.unpack_from("<I", b, off)[0]
        vals = [None if c == 2 else bool(c) for c in b[off + 4:off + 4 + n]]
    else:
        vals = "xt%d" % typ
    return vals


def rpc(sock, code):
    sock.sendall(eval_message(code))
    cmd, lo, _, hi = struct.unpack("<IIII", recv_exact(sock, 16))
    payload = recv_exact(sock, lo | hi << 32)
    if cmd != RESP_OK:
        return {"ok": False, "status": (cmd >> 24) & 0x7F}
    ptype, _, off = item_head(payload, 0)
    assert ptype == DT_SEXP, ptype
    return {"ok": True, "status": 0, "value": parse_sexp(payload, off)}


def main():
    host, port, codes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    sock = socket.create_connection((host, port), timeout=120)
    time.sleep(0.2)
    hdr = sock.recv(1024)
    assert hdr.startswith(b"Rsrv01"), hdr
    print(json.dumps({"id": hdr.decode("ascii")}))
    for code in codes:
        r = rpc(sock, code)
        r["code"] = code
        if not r["ok"]:
            msg = rpc(sock, "geterrmessage()")
            r["error"] = msg["value"][0] if msg["ok"] else None
        print(json.dumps(r))
    sock.close()


if __name__ == "__main__":
    main()
