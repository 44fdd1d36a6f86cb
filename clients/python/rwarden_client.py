#!/usr/bin/env python3
"""Client for rwarden's framed protocol (standard library only).

A drop-in for the original rpy2 evaluation server's client:

    echo 'R.version' | python3 rwarden_client.py --hostname localhost --port 9090

plus rwarden's extensions: TLS (--tls, --ca, --cert/--key), a user name
(--user; the password comes from RWARDEN_PASSWORD or a prompt) and Unix
sockets (--unix PATH). Import it to call evaluate() from Python.

The wire format: optionally "AUTH <base64(user:password)>\\n", then the
encoding name and "\\n", then the code's length as 8 bytes unsigned
little-endian, then the code in that encoding. The answer comes back as an
8-byte little-endian length and that many bytes of text in the same encoding.

Streaming (--stream, or evaluate(..., stream=callback)): the request starts
with the line "STREAM\\n" and the answer comes as frames while R runs, each
one kind byte ('o' output, 'r' the rest of the answer, always last), an
8-byte little-endian length and that many bytes of text. The error of a
failed evaluation comes after the output it followed.
"""

import argparse
import base64
import getpass
import os
import socket
import ssl
import struct
import sys

__all__ = ["evaluate", "RwardenError", "DEFAULT_MAX_ANSWER"]

# Refuse answers claiming to be larger than this (bytes) before reading them.
DEFAULT_MAX_ANSWER = 256 * 1024 * 1024

_LENGTH = struct.Struct("<Q")
_FRAME = struct.Struct("<cQ")


class RwardenError(Exception):
    """A connection or protocol failure (not an R error: those are answers)."""


def _recv_exactly(sock, n):
    """Read exactly n bytes; the answer may arrive in many TCP segments."""
    chunks = []
    remaining = n
    while remaining > 0:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            got = n - remaining
            raise RwardenError(
                "connection closed after %d of %d bytes of the answer" % (got, n))
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _connect(hostname, port, unix_path, timeout):
    if unix_path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(unix_path)
        except BaseException:
            sock.close()
            raise
        return sock
    return socket.create_connection((hostname, port), timeout=timeout)


def _tls_context(cafile, certfile, keyfile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    return ctx


def evaluate(code, hostname="localhost", port=9090, encoding="utf-8",
             user=None, password=None, tls=False, cafile=None,
             certfile=None, keyfile=None, unix_path=None, timeout=300.0,
             server_name=None, max_answer=DEFAULT_MAX_ANSWER, stream=None):
    """Send R code to an rwarden (or original rpy2) server; return the answer.

    code is a str (encoded with `encoding`) or bytes (sent as they are).
    With user set, an AUTH line is sent; password defaults to the
    RWARDEN_PASSWORD environment variable. TLS is used when tls is true or a
    CA file or client certificate is given; server_name overrides the name
    the server certificate is checked against (default: hostname, or
    "localhost" for a Unix socket). The answer is decoded from `encoding`;
    R errors, policy denials and limits come back as answers starting with
    "Error". Raises RwardenError on connection or protocol failures.

    With stream set to a callable, the server is asked to stream (the
    STREAM line): stream(text) is called with each piece of output as R
    produces it, and the return value is the rest of the answer (the error
    text of a failed evaluation, or "").
    """
    if isinstance(code, str):
        payload = code.encode(encoding)
    else:
        payload = bytes(code)
    enc_name = encoding.encode("ascii")
    if b"\n" in enc_name or not enc_name or len(enc_name) > 64:
        raise ValueError("invalid encoding name %r" % encoding)

    request = bytearray()
    if stream is not None:
        request += b"STREAM\n"
    if user is not None:
        if password is None:
            password = os.environ.get("RWARDEN_PASSWORD")
        if password is None:
            raise ValueError("a password is needed for user %r "
                             "(argument or RWARDEN_PASSWORD)" % user)
        if ":" in user or not user:
            raise ValueError("user name must be non-empty and contain no ':'")
        secret = (user + ":" + password).encode("utf-8")
        request += b"AUTH " + base64.b64encode(secret) + b"\n"
    request += enc_name + b"\n" + _LENGTH.pack(len(payload)) + payload

    use_tls = tls or cafile is not None or certfile is not None
    try:
        sock = _connect(hostname, port, unix_path, timeout)
    except OSError as e:
        where = unix_path or "%s:%s" % (hostname, port)
        raise RwardenError("cannot connect to %s: %s" % (where, e)) from e
    try:
        if use_tls:
            ctx = _tls_context(cafile, certfile, keyfile)
            name = server_name or (hostname if not unix_path else "localhost")
            sock = ctx.wrap_socket(sock, server_hostname=name)
        sock.sendall(bytes(request))
        if stream is not None:
            return _read_stream(sock, encoding, max_answer, stream)
        header = _recv_exactly(sock, _LENGTH.size)
        (length,) = _LENGTH.unpack(header)
        if length > max_answer:
            raise RwardenError("answer of %d bytes exceeds the limit of %d"
                               % (length, max_answer))
        body = _recv_exactly(sock, length)
    except (OSError, ssl.SSLError) as e:
        raise RwardenError("talking to the server: %s" % e) from e
    finally:
        sock.close()
    return body.decode(encoding, errors="replace")


def _read_stream(sock, encoding, max_answer, callback):
    """Read frames until the final one; output goes to callback."""
    total = 0
    while True:
        kind, length = _FRAME.unpack(_recv_exactly(sock, _FRAME.size))
        if kind not in (b"o", b"r"):
            raise RwardenError("unknown stream frame kind %r" % kind)
        total += length
        if total > max_answer:
            raise RwardenError("answer exceeds the limit of %d bytes" % max_answer)
        text = _recv_exactly(sock, length).decode(encoding, errors="replace")
        if kind == b"r":
            return text
        callback(text)


def _parse_args(argv):
    p = argparse.ArgumentParser(
        description="Send R code from standard input to an rwarden server "
                    "and print the answer.")
    p.add_argument("--hostname", default="localhost", help="server host name")
    p.add_argument("--port", type=int, default=9090, help="server port")
    p.add_argument("--encoding", default="utf-8",
                   help="text encoding of code and answer (default utf-8)")
    p.add_argument("--tls", action="store_true", help="use TLS")
    p.add_argument("--ca", metavar="FILE",
                   help="CA certificate(s) to verify the server with (implies --tls)")
    p.add_argument("--cert", metavar="FILE",
                   help="client certificate (PEM; implies --tls)")
    p.add_argument("--key", metavar="FILE", help="client certificate key (PEM)")
    p.add_argument("--server-name", metavar="NAME",
                   help="name to check the server certificate against")
    p.add_argument("--user", help="user name; the password comes from "
                                  "RWARDEN_PASSWORD or a prompt")
    p.add_argument("--unix", metavar="PATH", help="connect to a Unix socket")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds to wait for the server (default 300)")
    p.add_argument("--stream", action="store_true",
                   help="print output as R produces it")
    p.add_argument("--check", action="store_true",
                   help="exit with status 1 when the answer is an error")
    return p.parse_args(argv)


def main(argv=None):
    args = _parse_args(argv)
    password = None
    if args.user is not None:
        password = os.environ.get("RWARDEN_PASSWORD")
        if password is None:
            password = getpass.getpass("Password for %s: " % args.user)
    code = sys.stdin.read()
    out = sys.stdout
    printed = []

    def show(text):
        out.write(text)
        out.flush()
        printed.append(text)

    try:
        answer = evaluate(code, hostname=args.hostname, port=args.port,
                          encoding=args.encoding, user=args.user,
                          password=password, tls=args.tls, cafile=args.ca,
                          certfile=args.cert, keyfile=args.key,
                          unix_path=args.unix, timeout=args.timeout,
                          server_name=args.server_name,
                          stream=show if args.stream else None)
    except (RwardenError, ValueError, UnicodeError, LookupError) as e:
        print("rwarden_client: %s" % e, file=sys.stderr)
        return 2
    if answer and printed and not printed[-1].endswith("\n"):
        out.write("\n")
    out.write(answer)
    if answer and not answer.endswith("\n"):
        out.write("\n")
    out.flush()
    if args.check and answer.startswith("Error"):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
